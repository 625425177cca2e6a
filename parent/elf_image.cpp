#include "parent/elf_image.hpp"

#include <elf.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <numeric>

namespace tether::detail {
namespace {

// Bounded reads: every offset in an ELF file is data, and a truncated or
// foreign file must give "not ELF", never a read past the end.
struct Bytes {
    const unsigned char* data;
    std::size_t size;

    template <class T>
    bool get(std::size_t offset, T& out) const {
        if (offset > size || sizeof(T) > size - offset) {
            return false;
        }
        std::memcpy(&out, data + offset, sizeof(T));
        return true;
    }

    bool holds(std::size_t offset, std::size_t length) const {
        return offset <= size && length <= size - offset;
    }

    // The NUL-terminated string at `offset` inside [begin, begin + length).
    std::string_view string_at(std::size_t begin, std::size_t length, std::size_t offset) const {
        if (!holds(begin, length) || offset >= length) {
            return {};
        }
        const char* s = reinterpret_cast<const char*>(data + begin + offset);
        const void* nul = std::memchr(s, 0, length - offset);
        return nul ? std::string_view(s, static_cast<const char*>(nul) - s) : std::string_view();
    }
};

struct Elf {
    Elf64_Ehdr header{};
    std::vector<Elf64_Phdr> segments;
    std::vector<Elf64_Shdr> sections;
};

bool parse(const Bytes& bytes, Elf& elf) {
    Elf64_Ehdr& h = elf.header;
    if (!bytes.get(0, h) || std::memcmp(h.e_ident, ELFMAG, SELFMAG) != 0 ||
        h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_ident[EI_DATA] != ELFDATA2LSB) {
        return false;
    }
    if ((h.e_phnum != 0 && h.e_phentsize != sizeof(Elf64_Phdr)) ||
        (h.e_shnum != 0 && h.e_shentsize != sizeof(Elf64_Shdr)) ||
        (h.e_shnum == 0 && h.e_shoff != 0)) {  // 0 with an offset: > 65279 sections
        return false;
    }
    elf.segments.resize(h.e_phnum);
    for (std::size_t i = 0; i < h.e_phnum; ++i) {
        if (!bytes.get(h.e_phoff + i * sizeof(Elf64_Phdr), elf.segments[i])) {
            return false;
        }
    }
    elf.sections.resize(h.e_shnum);
    for (std::size_t i = 0; i < h.e_shnum; ++i) {
        if (!bytes.get(h.e_shoff + i * sizeof(Elf64_Shdr), elf.sections[i])) {
            return false;
        }
    }
    return h.e_shnum == 0 || h.e_shstrndx < h.e_shnum;
}

std::string_view section_name(const Bytes& bytes, const Elf& elf, const Elf64_Shdr& section) {
    const Elf64_Shdr& names = elf.sections[elf.header.e_shstrndx];
    return bytes.string_at(names.sh_offset, names.sh_size, section.sh_name);
}

bool is_debug(std::string_view name) {
    return name.starts_with(".debug") || name.starts_with(".zdebug");
}

// The newest GLIBC_x.y named in the version needs (.gnu.version_r).
std::string glibc_needed(const Bytes& bytes, const Elf& elf) {
    std::string newest;
    for (const Elf64_Shdr& needs : elf.sections) {
        if (needs.sh_type != SHT_GNU_verneed || needs.sh_link >= elf.sections.size()) {
            continue;
        }
        const Elf64_Shdr& strings = elf.sections[needs.sh_link];
        std::size_t offset = needs.sh_offset;
        // Bounded: a hostile count or a zero `next` cannot loop for ever.
        for (std::size_t i = 0; i < needs.sh_info && i < 1024; ++i) {
            Elf64_Verneed need{};
            if (!bytes.get(offset, need)) {
                break;
            }
            std::size_t aux_offset = offset + need.vn_aux;
            for (std::size_t j = 0; j < need.vn_cnt && j < 1024; ++j) {
                Elf64_Vernaux aux{};
                if (!bytes.get(aux_offset, aux)) {
                    break;
                }
                std::string_view name =
                    bytes.string_at(strings.sh_offset, strings.sh_size, aux.vna_name);
                if (name.starts_with("GLIBC_") && name.size() > 6 && name[6] >= '0' &&
                    name[6] <= '9') {
                    std::string_view version = name.substr(6);
                    if (newest.empty() || version_older(newest, version)) {
                        newest = std::string(version);
                    }
                }
                if (aux.vna_next == 0) {
                    break;
                }
                aux_offset += aux.vna_next;
            }
            if (need.vn_next == 0) {
                break;
            }
            offset += need.vn_next;
        }
    }
    return newest;
}

}  // namespace

bool version_older(std::string_view have, std::string_view need) {
    auto next = [](std::string_view& text) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        text.remove_prefix(static_cast<std::size_t>(end - text.data()));
        if (!text.empty() && text.front() == '.') {
            text.remove_prefix(1);
        }
        return ec == std::errc{} ? value : 0U;
    };
    while (!have.empty() || !need.empty()) {
        unsigned a = next(have);
        unsigned b = next(need);
        if (a != b) {
            return a < b;
        }
    }
    return false;
}

ElfFacts read_elf_facts(const unsigned char* data, std::size_t size) {
    Bytes bytes{data, size};
    Elf elf;
    ElfFacts facts;
    if (!parse(bytes, elf)) {
        return facts;
    }
    facts.elf = true;
    for (const Elf64_Phdr& segment : elf.segments) {
        if (segment.p_type == PT_INTERP && segment.p_filesz > 0) {
            facts.interpreter = std::string(bytes.string_at(segment.p_offset, segment.p_filesz, 0));
        }
    }
    facts.glibc = glibc_needed(bytes, elf);
    for (const Elf64_Shdr& section : elf.sections) {
        if (section.sh_type != SHT_NOBITS &&
            section_name(bytes, elf, section) == kPortableSection &&
            bytes.holds(section.sh_offset, section.sh_size)) {
            facts.portable_offset = section.sh_offset;
            facts.portable_size = section.sh_size;
        }
    }
    return facts;
}

std::vector<unsigned char> strip_debug_sections(const unsigned char* data, std::size_t size) {
    Bytes bytes{data, size};
    Elf elf;
    if (!parse(bytes, elf) || elf.sections.empty()) {
        return {};
    }
    std::vector<bool> removed(elf.sections.size());
    for (std::size_t i = 0; i < elf.sections.size(); ++i) {
        removed[i] =
            elf.sections[i].sh_size > 0 && is_debug(section_name(bytes, elf, elf.sections[i]));
    }
    if (std::find(removed.begin(), removed.end(), true) == removed.end()) {
        return {};
    }
    // What the loader maps (headers and segments) stays byte for byte.
    std::size_t mapped = sizeof(Elf64_Ehdr);
    mapped = std::max<std::size_t>(mapped,
                                   elf.header.e_phoff + elf.segments.size() * sizeof(Elf64_Phdr));
    for (const Elf64_Phdr& segment : elf.segments) {
        if (!bytes.holds(segment.p_offset, segment.p_filesz)) {
            return {};
        }
        mapped = std::max<std::size_t>(mapped, segment.p_offset + segment.p_filesz);
    }
    if (mapped > size) {
        return {};
    }
    std::vector<unsigned char> out(data, data + mapped);
    std::vector<Elf64_Shdr> headers = elf.sections;
    // Kept sections past the mapped part follow in their file order, each
    // at its alignment.
    std::vector<std::size_t> order(elf.sections.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return elf.sections[a].sh_offset < elf.sections[b].sh_offset;
    });
    for (std::size_t i : order) {
        Elf64_Shdr& section = headers[i];
        if (removed[i]) {
            section.sh_offset = 0;
            section.sh_size = 0;
            continue;
        }
        if (section.sh_type == SHT_NOBITS || section.sh_type == SHT_NULL) {
            continue;
        }
        if (!bytes.holds(section.sh_offset, section.sh_size)) {
            return {};
        }
        if (section.sh_offset + section.sh_size <= mapped) {
            continue;
        }
        std::size_t align = std::max<std::size_t>(section.sh_addralign, 1);
        out.resize((out.size() + align - 1) / align * align);
        std::size_t from = section.sh_offset;
        section.sh_offset = out.size();
        out.insert(out.end(), data + from, data + from + section.sh_size);
    }
    out.resize((out.size() + 7) / 8 * 8);
    Elf64_Ehdr header = elf.header;
    header.e_shoff = out.size();
    const auto* table = reinterpret_cast<const unsigned char*>(headers.data());
    out.insert(out.end(), table, table + headers.size() * sizeof(Elf64_Shdr));
    std::memcpy(out.data(), &header, sizeof header);
    return out;
}

}  // namespace tether::detail
