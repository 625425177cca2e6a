// su and sudo in other languages, through stand-ins (tests/support/stubs/):
// this machine has no translated locale to run the real tools in, so each
// stand-in checks the exact argv tether gives the tool, prompts in the
// language it is set up for, reads the password from its terminal, and then
// fails in that language or runs the command. The words are Debian's own
// translations (parent/prompt_translations.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "parent/password_dialog.hpp"
#include "support/functions.hpp"
#include "support/harness.hpp"

using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

// A stand-in `tool` (su or sudo) in a directory of its own, with its settings.
class Stub {
  public:
    explicit Stub(const std::string& tool) : dir_(tt::temp_path("stub-" + tool)) {
        fs::create_directories(dir_);
        path_ = dir_ + "/" + tool;
        fs::create_symlink(fs::path(TT_STUBS_DIR) / tool, path_);
        set("user", "tt_nobody");
        set("password", "right-pw");
        set("refusal", "");
    }
    ~Stub() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    void set(const std::string& key, const std::string& value) {
        std::ofstream(path_ + "." + key) << value;
    }
    const std::string& path() const { return path_; }

  private:
    std::string dir_, path_;
};

std::string connect_error(const std::function<void()>& start) {
    try {
        start();
    } catch (const tether::ConnectError& e) {
        return e.what();
    }
    return "(no ConnectError)";
}

}  // namespace

TEST(TranslatedSu, PromptsInOtherLanguagesAreAnswered) {
    tt::Master master;
    Stub su("su");
    // German, French (a space before the colon), Chinese (a full-width
    // colon), Russian, Japanese (no space after the colon).
    for (std::string prompt :
         {"Passwort: ", "Mot de passe : ", "密码： ", "Пароль: ", "パスワード:"}) {
        su.set("prompt", prompt);
        tether::Context c = master.router.su({.username = "tt_nobody",
                                              .password = tether::Secret("right-pw"),
                                              .su_path = su.path()});
        EXPECT_EQ(c.call(tt::env_of, std::string("TT_STUB_SU")), "1") << prompt;
        EXPECT_EQ(c.call(tt::add, 1, 2), 3) << prompt;
        c.shutdown(true);
    }
}

TEST(TranslatedSu, TranslatedFailuresMeanAWrongPassword) {
    tt::Master master;
    Stub su("su");
    for (auto [prompt, failure] :
         {std::pair<std::string, std::string>{"Passwort: ", "su: Fehler bei Authentifizierung"},
          {"Mot de passe : ", "su: Échec de l’authentification"},
          {"密码： ", "su: 鉴定故障"}}) {
        su.set("prompt", prompt);
        su.set("failure", failure);
        std::string error = connect_error([&] {
            master.router.su({.username = "tt_nobody",
                              .password = tether::Secret("wrong-pw"),
                              .su_path = su.path(),
                              .connect_timeout = 60s});
        });
        EXPECT_TRUE(tt::contains(error, "su: incorrect password (" + failure + ")")) << error;
        EXPECT_FALSE(tt::contains(error, "wrong-pw")) << error;
    }
    // No password to give: said at the translated prompt, not at the timeout.
    su.set("prompt", "Passwort: ");
    std::string error = connect_error([&] {
        master.router.su({.username = "tt_nobody", .su_path = su.path(), .connect_timeout = 60s});
    });
    EXPECT_TRUE(tt::contains(error, "su: a password is required")) << error;
}

TEST(TranslatedSudo, SudoRsTranslatedPromptsWithOrWithoutAColon) {
    tt::Master master;
    Stub sudo("sudo");
    // sudo-rs puts our -p prompt in brackets and its own translation after.
    for (std::string prompt : {"Mot de passe\u00a0: ", "密码： ", "Passwort: "}) {
        sudo.set("prompt", prompt);
        tether::Context c = master.router.sudo({.username = "tt_nobody",
                                                .password = tether::Secret("right-pw"),
                                                .sudo_path = sudo.path()});
        EXPECT_EQ(c.call(tt::env_of, std::string("TT_STUB_SUDO")), "1") << prompt;
        c.shutdown(true);
    }
    // Asked again after a wrong one: incorrect, never a second try.
    sudo.set("prompt", "密码： ");
    sudo.set("failure", "抱歉，请重试。");
    std::string error = connect_error([&] {
        master.router.sudo({.username = "tt_nobody",
                            .password = tether::Secret("wrong-pw"),
                            .sudo_path = sudo.path(),
                            .connect_timeout = 60s});
    });
    EXPECT_TRUE(tt::contains(error, "sudo: incorrect password")) << error;
}

TEST(TranslatedSudo, TranslatedRefusalsAreRecognised) {
    tt::Master master;
    Stub sudo("sudo");
    sudo.set("refusal", "sudo: Ein Passwort ist notwendig");
    std::string error = connect_error([&] {
        master.router.sudo(
            {.username = "tt_nobody", .sudo_path = sudo.path(), .connect_timeout = 60s});
    });
    EXPECT_TRUE(tt::contains(error, "sudo: a password is required")) << error;
    sudo.set("refusal", "sudo: »tt_nobody« ist nicht in der sudoers-Datei.");
    error = connect_error([&] {
        master.router.sudo(
            {.username = "tt_nobody", .sudo_path = sudo.path(), .connect_timeout = 60s});
    });
    EXPECT_TRUE(tt::contains(error, "ist nicht in der sudoers-Datei")) << error;
    EXPECT_FALSE(tt::contains(error, "timeout")) << error;
}

TEST(TranslatedDialog, SudoRsTailsNeedNoColonButNoEcho) {
    using tether::detail::PasswordDialog;
    tether::detail::PromptRules rules{"sudo", {"[tether-x] sudo password:"}, {}, {}, true};
    for (std::string tail : {"Mot de passe\u00a0: ", "Mot de passe : ", "密码： ", "Password"}) {
        PasswordDialog dialog(rules, tether::Secret("pw"));
        EXPECT_EQ(dialog.on_pending("[sudo: [tether-x] sudo password:] " + tail).kind,
                  PasswordDialog::Step::answer)
            << tail;
        // pwfeedback's '*' after it is not a new prompt.
        EXPECT_EQ(dialog.on_pending("[sudo: [tether-x] sudo password:] " + tail + "*").kind,
                  PasswordDialog::Step::nothing)
            << tail;
    }
}
