#include "parent/program_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/log.hpp"
#include "parent/elf_image.hpp"
#include "parent/sha256.hpp"
#include "tether/errors.hpp"

namespace tether::detail {
namespace {

struct MappedFile {
    const unsigned char* data = nullptr;
    std::size_t size = 0;
};

MappedFile map_self() {
    // /proc/self/exe names the running inode even if the file was replaced
    // or deleted since: what is shipped is what runs here.
    int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw Error(std::string("cannot open /proc/self/exe: ") + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
        int err = errno;
        ::close(fd);
        throw Error(std::string("cannot stat /proc/self/exe: ") + std::strerror(err));
    }
    auto size = static_cast<std::size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    if (map == MAP_FAILED) {
        throw Error(std::string("cannot map /proc/self/exe: ") + std::strerror(err));
    }
    return {static_cast<const unsigned char*>(map), size};  // mapped for the process's life
}

// The bytes of an image: its stripped copy when it had debug sections, the
// mapping itself otherwise. Images live as long as the process.
std::unique_ptr<ProgramImage> make_image(const unsigned char* data, std::size_t size) {
    auto image = std::make_unique<ProgramImage>();
    image->stripped = strip_debug_sections(data, size);
    if (image->stripped.empty()) {
        image->data = data;
        image->size = size;
    } else {
        image->data = image->stripped.data();
        image->size = image->stripped.size();
        TETHER_LOG(LogLevel::debug, "tether.bootstrap", "shipping ", image->size, " of ", size,
                   " bytes: debug sections dropped");
    }
    ElfFacts facts = read_elf_facts(image->data, image->size);
    image->interpreter = facts.interpreter;
    image->glibc = facts.glibc;
    image->sha256 = sha256_hex(image->data, image->size);
    return image;
}

struct Programs {
    std::unique_ptr<ProgramImage> self;
    std::unique_ptr<ProgramImage> portable;
};

const Programs& programs() {
    static const Programs programs = [] {
        MappedFile file = map_self();
        Programs p;
        p.self = make_image(file.data, file.size);
        ElfFacts facts = read_elf_facts(file.data, file.size);
        if (facts.portable_size > 0) {
            p.portable = make_image(file.data + facts.portable_offset, facts.portable_size);
        }
        return p;
    }();
    return programs;
}

std::vector<unsigned char> gzip(const unsigned char* data, std::size_t size) {
    z_stream z{};
    // 15 + 16: a gzip header and trailer, what `gzip -dc` reads. Level 6,
    // zlib's default: level 9 saves under 2% here for twice the time.
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw Error("zlib: deflateInit2 failed");
    }
    std::vector<unsigned char> out(deflateBound(&z, size));
    z.next_in = const_cast<unsigned char*>(data);
    z.avail_in = static_cast<uInt>(size);
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        throw Error("zlib: compressing the program failed");
    }
    return out;
}

}  // namespace

const std::vector<unsigned char>& ProgramImage::gzipped() const {
    std::call_once(gzip_once_, [this] {
        gzip_ = gzip(data, size);
        gzip_ready_ = true;
    });
    return gzip_;
}

bool ProgramImage::gzip_ready() const noexcept {
    return gzip_ready_;
}

void ProgramImage::gzip_in_background(std::function<void()> then) const {
    std::unique_lock lock(gzip_mutex_);
    if (gzip_done_) {
        lock.unlock();
        then();
        return;
    }
    gzip_waiters_.push_back(std::move(then));
    if (gzip_worker_.valid()) {
        return;  // under way: `then` is called with the others
    }
    gzip_worker_ = std::async(std::launch::async, [this] {
        try {
            gzipped();
        } catch (const std::exception& e) {
            TETHER_LOG(LogLevel::error, "tether.bootstrap",
                       "cannot compress the program: ", e.what());
        }
        std::vector<std::function<void()>> waiters;
        {
            std::lock_guard done(gzip_mutex_);
            gzip_done_ = true;
            waiters.swap(gzip_waiters_);
        }
        for (auto& waiter : waiters) {
            waiter();
        }
    });
}

const ProgramImage& this_program() {
    return *programs().self;
}

const ProgramImage* portable_program() {
    return programs().portable.get();
}

}  // namespace tether::detail
