#include "parent/program_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "parent/sha256.hpp"
#include "tether/errors.hpp"

namespace tether::detail {
namespace {

ProgramImage map_self() {
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
    ProgramImage image;
    image.data = static_cast<const unsigned char*>(map);
    image.size = size;
    image.sha256 = sha256_hex(image.data, image.size);
    return image;  // mapped for the life of the process
}

}  // namespace

const ProgramImage& this_program() {
    static const ProgramImage image = map_self();
    return image;
}

}  // namespace tether::detail
