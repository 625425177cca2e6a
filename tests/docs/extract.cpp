// The docs check's generator: turns the ```cpp blocks of one markdown file
// into C++ translation units that the test suite compiles against tether and
// runs. The rules for writers are in docs/writing-docs.md; in short:
//
// - The blocks of a file are one program, read top to bottom: each block sees
//   what the blocks before it defined. They are compiled inside a namespace
//   of their own, after `using namespace docs_prelude;` (tests/docs/
//   prelude.hpp: the exported example functions add, greet and fail, and the
//   common standard headers). `#include` lines are moved to the top.
// - A block with `int main(` is a program: its main is renamed, and the
//   generated main runs it (in the same process, one after the other) unless
//   the block is marked compile-only.
// - Markers: HTML comments on the lines right before the fence.
//     <!-- docs-check: fragment -->      statements, compiled inside
//         void fragment(tether::Router& router, tether::Context ctx) {...}
//     <!-- docs-check: synopsis -->      a declaration of tether's own API
//         (api.md): compiled on its own, and every class, member, field and
//         free function it declares must exist under that name in tether.
//     <!-- docs-check: compile-only: <why> -->  a program that needs
//         something this machine does not have (an SSH host, a password).
//     <!-- docs-check: new-program -->   this block and the ones after it
//         form the next program (a TETHER_EXPORT name may appear only once
//         in a program: core/registry.cpp aborts on a duplicate).
//     <!-- docs-check: excerpt-of: <path> -->  code shown from the
//         repository (internal code, how-it-works.md): not compiled here,
//         since it is compiled where it lives, but its lines must stand in
//         <path> (relative to the repository root) as they are, in one run.
//
// Usage: docs_extract <markdown file> <name shown in errors> <output prefix>
//                     <programs expected>
// Writes <output prefix>_<n>.cpp for n = 1..programs and prints a summary.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Block {
    int line = 0;  // the first line of code, 1-based
    std::vector<std::string> code;
    bool fragment = false;
    bool synopsis = false;
    bool compile_only = false;
    std::string compile_only_why;
    bool new_program = false;
    bool is_program = false;
    std::string excerpt_of;  // a file of the repository the code must stand in
};

[[noreturn]] void fail(const std::string& where, const std::string& what) {
    std::cerr << where << ": docs check: " << what << "\n";
    std::exit(1);
}

std::string trim(const std::string& s) {
    std::size_t b = s.find_first_not_of(" \t\n");
    if (b == std::string::npos) {
        return {};
    }
    std::size_t e = s.find_last_not_of(" \t\n");
    return s.substr(b, e - b + 1);
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

std::vector<Block> read_blocks(const std::string& path, const std::string& shown) {
    std::ifstream in(path);
    if (!in) {
        fail(shown, "cannot read " + path);
    }
    std::vector<Block> blocks;
    std::vector<std::string> markers;
    std::string line;
    int number = 0;
    bool in_cpp = false;
    bool in_other = false;
    std::string fence_indent;
    Block current;
    while (std::getline(in, line)) {
        ++number;
        std::string t = trim(line);
        if (in_cpp) {
            if (t == "```") {
                in_cpp = false;
                blocks.push_back(std::move(current));
                current = Block{};
                continue;
            }
            // Drop the fence's indentation (a block inside a list item).
            if (starts_with(line, fence_indent)) {
                line = line.substr(fence_indent.size());
            }
            current.code.push_back(line);
            continue;
        }
        if (in_other) {
            if (t == "```") {
                in_other = false;
            }
            continue;
        }
        if (starts_with(t, "<!-- docs-check:")) {
            if (t.size() < 20 || t.substr(t.size() - 3) != "-->") {
                fail(shown + ":" + std::to_string(number),
                     "a marker is one line: <!-- docs-check: ... -->");
            }
            markers.push_back(trim(t.substr(16, t.size() - 16 - 3)));
            continue;
        }
        if (starts_with(t, "```cpp")) {
            in_cpp = true;
            fence_indent = line.substr(0, line.find('`'));
            current.line = number + 1;
            for (const std::string& m : markers) {
                if (m == "fragment") {
                    current.fragment = true;
                } else if (m == "synopsis") {
                    current.synopsis = true;
                } else if (m == "new-program") {
                    current.new_program = true;
                } else if (starts_with(m, "excerpt-of:") && trim(m.substr(11)).size() > 0) {
                    current.excerpt_of = trim(m.substr(11));
                } else if (starts_with(m, "compile-only:") && trim(m.substr(13)).size() > 0) {
                    current.compile_only = true;
                    current.compile_only_why = trim(m.substr(13));
                } else {
                    fail(shown + ":" + std::to_string(number),
                         "unknown marker '" + m +
                             "' (fragment, synopsis, new-program, compile-only: <why>, "
                             "excerpt-of: <path>)");
                }
            }
            markers.clear();
            continue;
        }
        if (starts_with(t, "```")) {
            in_other = true;
        }
        if (!t.empty()) {
            if (!markers.empty()) {
                fail(shown + ":" + std::to_string(number),
                     "a docs-check marker must come right before a ```cpp fence");
            }
        }
    }
    if (in_cpp) {
        fail(shown + ":" + std::to_string(current.line), "unterminated ```cpp block");
    }
    if (!markers.empty()) {
        fail(shown, "a docs-check marker at the end of the file");
    }
    return blocks;
}

// The code with comments and string/char literals blanked out (same length,
// so positions still match), for the little scanning done below.
std::string strip(const std::string& code) {
    std::string out = code;
    enum { plain, line_comment, block_comment, str, chr } state = plain;
    for (std::size_t i = 0; i < out.size(); ++i) {
        char c = code[i];
        char next = i + 1 < code.size() ? code[i + 1] : '\0';
        switch (state) {
            case plain:
                if (c == '/' && next == '/') {
                    state = line_comment;
                    out[i] = ' ';
                } else if (c == '/' && next == '*') {
                    state = block_comment;
                    out[i] = ' ';
                } else if (c == '"') {
                    state = str;
                } else if (c == '\'') {
                    state = chr;
                }
                break;
            case line_comment:
                if (c == '\n') {
                    state = plain;
                } else {
                    out[i] = ' ';
                }
                break;
            case block_comment:
                if (c == '*' && next == '/') {
                    out[i] = out[i + 1] = ' ';
                    ++i;
                    state = plain;
                } else if (c != '\n') {
                    out[i] = ' ';
                }
                break;
            case str:
            case chr:
                if (c == '\\') {
                    out[i] = ' ';
                    if (i + 1 < out.size()) {
                        out[++i] = ' ';
                    }
                } else if (c == (state == str ? '"' : '\'')) {
                    state = plain;
                } else {
                    out[i] = ' ';
                }
                break;
        }
    }
    return out;
}

bool ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// The identifier that ends right before position `end` (spaces skipped).
std::string ident_before(const std::string& s, std::size_t end) {
    std::size_t e = end;
    while (e > 0 && std::isspace(static_cast<unsigned char>(s[e - 1])) != 0) {
        --e;
    }
    std::size_t b = e;
    while (b > 0 && ident_char(s[b - 1])) {
        --b;
    }
    return s.substr(b, e - b);
}

// What a synopsis declares, for the probes: names of classes (with their
// members) and of free functions.
struct Declared {
    std::string qualified;  // e.g. "Router", "Select<T>::Done"; empty: namespace
    bool templated = false;
    std::set<std::string> members;
};

// Splits the synopsis into declarations at namespace scope and inside each
// class (one level of nesting, as api.md's Select::Done).
std::vector<Declared> scan_synopsis(const std::string& raw) {
    std::string s = strip(raw);
    std::vector<Declared> out(1);  // out[0]: free functions
    struct Scope {
        std::size_t index;  // into out, or npos for a body to skip
        int depth;
    };
    std::vector<Scope> scopes{{0, 0}};
    int depth = 0;
    bool next_templated = false;
    std::size_t statement_start = 0;
    int paren = 0;
    int angle_template = 0;
    bool declarator_seen = false;          // the statement's first '(' was looked at
    std::vector<bool> initializer_braces;  // per open '{': part of an initializer
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '(') {
            if (paren == 0 && !declarator_seen && scopes.back().index != std::string::npos) {
                declarator_seen = true;
                std::string stmt = s.substr(statement_start, i - statement_start);
                std::string name = ident_before(s, i);
                bool is_operator = stmt.find("operator") != std::string::npos;
                bool is_friend = stmt.find("friend") != std::string::npos;
                bool is_template_head =
                    trim(stmt).rfind("template", 0) == 0 && stmt.find('>') == std::string::npos;
                Declared& d = out[scopes.back().index];
                std::string bare = d.qualified.substr(
                    d.qualified.rfind(':') == std::string::npos ? 0 : d.qualified.rfind(':') + 1);
                bare = bare.substr(0, bare.find('<'));
                if (is_template_head || name.empty() || stmt.find('=') != std::string::npos) {
                    // a default argument or an initializer, not a declarator
                } else if (is_operator) {
                    if (scopes.back().index == 0 && !is_friend) {
                        std::size_t op = stmt.rfind("operator");
                        out[0].members.insert(
                            trim(s.substr(statement_start + op, i - statement_start - op)));
                    }
                } else if (!is_friend && name != bare && stmt.find('~') == std::string::npos &&
                           name != "decltype" && name != "noexcept") {
                    d.members.insert(name);
                }
            }
            ++paren;
            continue;
        }
        if (c == ')') {
            --paren;
            continue;
        }
        if (paren > 0) {
            continue;
        }
        if (c == '<' && trim(s.substr(statement_start, i - statement_start)) == "template") {
            ++angle_template;
            continue;
        }
        if (c == '>' && angle_template > 0) {
            --angle_template;
            if (angle_template == 0) {
                next_templated = true;
                statement_start = i + 1;
            }
            continue;
        }
        if (c == '{' &&
            s.substr(statement_start, i - statement_start).find('=') != std::string::npos) {
            initializer_braces.push_back(true);  // `= {}`, `= std::size_t{128}`
            continue;
        }
        if (c == '}' && !initializer_braces.empty() && initializer_braces.back()) {
            initializer_braces.pop_back();
            continue;
        }
        if (c == '{') {
            initializer_braces.push_back(false);
            std::string stmt = trim(s.substr(statement_start, i - statement_start));
            std::istringstream words(stmt);
            std::string first, second, third;
            words >> first >> second >> third;
            Scope scope{std::string::npos, depth + 1};
            if ((first == "class" || first == "struct") && !second.empty()) {
                Declared d;
                const Declared& outer =
                    out[scopes.back().index == std::string::npos ? 0 : scopes.back().index];
                std::string name = second;
                d.templated = next_templated || outer.templated;
                if (next_templated) {
                    name += "<T>";
                }
                d.qualified = outer.qualified.empty() ? name : outer.qualified + "::" + name;
                out.push_back(d);
                scope.index = out.size() - 1;
                if (scopes.back().index != std::string::npos && scopes.back().index != 0) {
                    out[scopes.back().index].members.insert("type " + second);
                }
            } else if (first == "enum" && second == "class") {
                out[scopes.back().index == std::string::npos ? 0 : scopes.back().index]
                    .members.insert("type " + third);
            }
            next_templated = false;
            declarator_seen = false;
            scopes.push_back(scope);
            ++depth;
            statement_start = i + 1;
            continue;
        }
        if (c == '}') {
            if (!initializer_braces.empty()) {
                initializer_braces.pop_back();
            }
            declarator_seen = false;
            --depth;
            if (scopes.size() > 1 && scopes.back().depth == depth + 1) {
                scopes.pop_back();
            }
            statement_start = i + 1;
            continue;
        }
        if (c == ';' ||
            (c == ':' && (i + 1 >= s.size() || s[i + 1] != ':') && (i == 0 || s[i - 1] != ':'))) {
            std::string stmt = s.substr(statement_start, i - statement_start);
            std::size_t idx = scopes.back().index;
            std::size_t eq = stmt.find('=');
            std::string declarator = stmt.substr(0, eq);
            if (c == ';' && idx != std::string::npos && idx != 0 &&
                declarator.find('(') == std::string::npos && trim(stmt) != "") {
                std::string t = trim(stmt);
                if (starts_with(t, "using ")) {
                    std::istringstream w(t);
                    std::string u, name;
                    w >> u >> name;
                    out[idx].members.insert("type " + name);
                } else if (!starts_with(t, "friend ") && !starts_with(t, "#")) {
                    std::string name = ident_before(declarator, declarator.size());
                    if (!name.empty()) {
                        out[idx].members.insert(name);
                    }
                }
            }
            next_templated = false;
            declarator_seen = false;
            statement_start = i + 1;
        }
    }
    return out;
}

// Probes that fail to compile when tether has no such name: a using-
// declaration of a missing member or function is an error.
std::string probes(const Block& b, const std::string& shown) {
    std::string raw;
    for (const std::string& l : b.code) {
        raw += l + "\n";
    }
    std::vector<Declared> decls = scan_synopsis(raw);
    std::ostringstream out;
    out << "namespace probe_" << b.line << " {\n#line " << b.line << " \"" << shown << "\"\n";
    int n = 0;
    for (const std::string& f : decls[0].members) {
        if (starts_with(f, "type ")) {
            out << "using ::tether::" << f.substr(5) << ";\n";
        } else {
            out << "using ::tether::" << f << ";\n";
        }
        ++n;
    }
    for (std::size_t i = 1; i < decls.size(); ++i) {
        const Declared& d = decls[i];
        std::string probe = "probe" + std::to_string(i);
        std::string base = "::tether::" + d.qualified;
        if (d.templated) {
            out << "template <class T> struct " << probe << " : " << base << " {\n";
        } else {
            out << "struct " << probe << " : " << base << " {\n";
        }
        for (const std::string& m : d.members) {
            std::string name = starts_with(m, "type ") ? m.substr(5) : m;
            bool type = starts_with(m, "type ");
            out << "    using " << (d.templated && type ? "typename " : "") << base << "::" << name
                << ";\n";
            ++n;
        }
        out << "};\n";
        if (d.templated) {
            out << "template struct " << probe << "<int>;\n";
        }
        ++n;
    }
    out << "}  // namespace probe_" << b.line << "\n";
    if (n == 0) {
        fail(shown + ":" + std::to_string(b.line), "a synopsis that declares nothing to check");
    }
    return out.str();
}

// Fails unless the lines of `b` stand, as they are and in one run, in the
// repository file it names. `root` is the repository's root.
void check_excerpt(const Block& b, const std::string& root, const std::string& shown) {
    std::string where = shown + ":" + std::to_string(b.line);
    std::ifstream in(root + "/" + b.excerpt_of);
    if (!in) {
        fail(where,
             "excerpt-of: cannot read " + b.excerpt_of + " (relative to the repository root)");
    }
    std::vector<std::string> file;
    for (std::string line; std::getline(in, line);) {
        file.push_back(line);
    }
    if (b.code.empty()) {
        fail(where, "an empty excerpt");
    }
    // The longest run of the block found anywhere, to say where it differs.
    std::size_t best = 0;
    for (std::size_t start = 0; start + b.code.size() <= file.size(); ++start) {
        std::size_t same = 0;
        while (same < b.code.size() && file[start + same] == b.code[same]) {
            ++same;
        }
        if (same == b.code.size()) {
            return;
        }
        best = std::max(best, same);
    }
    fail(shown + ":" + std::to_string(b.line + static_cast<int>(best)),
         "this line of the excerpt is not in " + b.excerpt_of +
             " where the lines before it are: '" + b.code[best] +
             "' (copy the code from the file again)");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: docs_extract <markdown> <shown name> <output prefix> <programs>\n";
        return 2;
    }
    std::string path = argv[1];
    std::string shown = argv[2];
    std::string prefix = argv[3];
    int expected = std::stoi(argv[4]);

    std::vector<Block> blocks = read_blocks(path, shown);
    // Excerpts are checked against their files and take no further part.
    std::string root =
        path.size() > shown.size() ? path.substr(0, path.size() - shown.size()) : std::string(".");
    int excerpts = 0;
    for (const Block& b : blocks) {
        if (!b.excerpt_of.empty()) {
            check_excerpt(b, root, shown);
            ++excerpts;
        }
    }
    std::erase_if(blocks, [](const Block& b) { return !b.excerpt_of.empty(); });
    if (expected == 0) {
        if (!blocks.empty()) {
            fail(shown, "has blocks to compile, the build expected excerpts only: configure again");
        }
        std::printf("docs check: %s: %d excerpts found in their files\n", shown.c_str(), excerpts);
        return 0;
    }
    // Split into programs.
    std::vector<std::vector<Block*>> programs(1);
    for (Block& b : blocks) {
        if (b.new_program && !programs.back().empty()) {
            programs.emplace_back();
        }
        std::string all;
        for (const std::string& l : b.code) {
            all += l + "\n";
        }
        b.is_program = strip(all).find("int main(") != std::string::npos;
        if (b.is_program && (b.fragment || b.synopsis)) {
            fail(shown + ":" + std::to_string(b.line),
                 "a block with main is neither fragment nor synopsis");
        }
        if (b.compile_only && !b.is_program) {
            fail(shown + ":" + std::to_string(b.line), "compile-only is for blocks with a main");
        }
        programs.back().push_back(&b);
    }
    if (static_cast<int>(programs.size()) != expected) {
        fail(shown, "has " + std::to_string(programs.size()) + " programs, the build expected " +
                        std::to_string(expected) + ": configure again");
    }

    std::string ns_base;
    for (char c : prefix.substr(prefix.find_last_of('/') + 1)) {
        ns_base += ident_char(c) ? c : '_';
    }
    int compiled = 0, run = 0, compile_only = 0;
    for (std::size_t p = 0; p < programs.size(); ++p) {
        std::string ns = ns_base + "_" + std::to_string(p + 1);
        std::ostringstream head, body, runner;
        std::set<std::string> exports;
        head << "// Generated by tests/docs/extract.cpp from " << shown << ": do not edit.\n"
             << "#include \"tests/docs/prelude.hpp\"\n";
        body << "namespace " << ns << " {\nusing namespace docs_prelude;\n";
        runner << "int main(int argc, char** argv) {\n"
               << "    tether::init(argc, argv);  // a child serves its parent here\n"
               << "    int failed = 0;\n";
        int ran_here = 0;
        for (Block* b : programs[p]) {
            ++compiled;
            std::ostringstream code;
            for (std::size_t i = 0; i < b->code.size(); ++i) {
                std::string l = b->code[i];
                std::string t = trim(l);
                if (starts_with(t, "#include")) {
                    head << l << "\n";
                    l.clear();
                }
                std::size_t ex = l.find("TETHER_EXPORT(");
                if (ex != std::string::npos && !b->synopsis) {
                    std::size_t close = l.find(')', ex);
                    std::string name = trim(l.substr(ex + 14, close - ex - 14));
                    if (!exports.insert(name).second) {
                        fail(shown + ":" + std::to_string(b->line + static_cast<int>(i)),
                             "TETHER_EXPORT(" + name +
                                 ") again in the same program (the registry aborts on a "
                                 "duplicate): put <!-- docs-check: new-program --> before this "
                                 "block");
                    }
                }
                if (b->is_program) {
                    std::size_t m = l.find("int main(");
                    if (m != std::string::npos) {
                        l.replace(m, 9, "int docs_main_" + std::to_string(b->line) + "(");
                    }
                }
                code << l << "\n";
            }
            if (b->synopsis) {
                body << "namespace synopsis_" << b->line << " {\nusing namespace ::tether;\n"
                     << "#line " << b->line << " \"" << shown << "\"\n"
                     << code.str() << "}  // namespace synopsis_" << b->line << "\n"
                     << probes(*b, shown);
            } else if (b->fragment) {
                body << "#pragma GCC diagnostic push\n"
                     << "#pragma GCC diagnostic ignored \"-Wunused-variable\"\n"
                     << "#pragma GCC diagnostic ignored \"-Wunused-but-set-variable\"\n"
                     << "[[maybe_unused]] void fragment_" << b->line
                     << "([[maybe_unused]] tether::Router& router, [[maybe_unused]] "
                        "tether::Context ctx) {\n"
                     << "#line " << b->line << " \"" << shown << "\"\n"
                     << code.str() << "}\n#pragma GCC diagnostic pop\n";
            } else {
                body << "#line " << b->line << " \"" << shown << "\"\n" << code.str();
            }
            if (b->is_program) {
                if (b->compile_only) {
                    ++compile_only;
                    runner << "    std::printf(\"" << shown << ":" << b->line << ": compile-only ("
                           << b->compile_only_why << ")\\n\");\n";
                } else {
                    ++run;
                    ++ran_here;
                    runner << "    std::printf(\"" << shown << ":" << b->line
                           << ": running\\n\");\n    std::fflush(stdout);\n"
                           << "    if (int rc = " << ns << "::docs_main_" << b->line
                           << "(argc, argv); rc != 0) {\n"
                           << "        std::printf(\"" << shown << ":" << b->line
                           << ": FAILED: main returned %d\\n\", rc);\n        ++failed;\n    }\n";
                }
            }
        }
        body << "}  // namespace " << ns << "\n\n";
        runner << "    std::printf(\"" << shown << " (program " << p + 1
               << "): " << programs[p].size() << " blocks compiled, " << ran_here
               << " run, %d failed\\n\", failed);\n"
               << "    return failed == 0 ? 0 : 1;\n}\n";
        std::string out_path = prefix + "_" + std::to_string(p + 1) + ".cpp";
        std::string text =
            head.str() + "\n" + body.str() + "#line 1 \"<generated runner>\"\n" + runner.str();
        // Rewrite only on change, so an unrelated edit of the file does not
        // rebuild (and relink) every program.
        std::ifstream old(out_path);
        std::stringstream old_text;
        old_text << old.rdbuf();
        if (!old || old_text.str() != text) {
            std::ofstream(out_path) << text;
        }
    }
    std::printf(
        "docs check: %s: %d blocks compiled, %d programs to run, %d compile-only, %d excerpts "
        "found in their files\n",
        shown.c_str(), compiled, run, compile_only, excerpts);
    return 0;
}
