#include "libk/ksyms_table.h"

#include "libk/string.h"

namespace k {

namespace {
constexpr uint32_t kMagic = 0x4d59534b;  // "KSYM"
constexpr size_t kHeaderSize = 16;
constexpr size_t kEntrySize = 16;

uint64_t read_u64(const uint8_t* p) {
    uint64_t value;
    memcpy(&value, p, sizeof value);
    return value;
}
uint32_t read_u32(const uint8_t* p) {
    uint32_t value;
    memcpy(&value, p, sizeof value);
    return value;
}
}  // namespace

KsymsTable::KsymsTable(const void* data, size_t size) {
    auto bytes = static_cast<const uint8_t*>(data);
    if (bytes == nullptr || size < kHeaderSize || read_u32(bytes) != kMagic) return;
    uint32_t count = read_u32(bytes + 4);
    uint64_t strings_offset = read_u64(bytes + 8);
    if (strings_offset != kHeaderSize + uint64_t{count} * kEntrySize || strings_offset > size) return;
    // The string table must end with a NUL so every name is terminated.
    if (size > strings_offset && bytes[size - 1] != 0) return;
    data_ = bytes;
    size_ = size;
    count_ = count;
    strings_offset_ = strings_offset;
}

bool KsymsTable::lookup(uint64_t address, Symbol& out) const {
    if (count_ == 0) return false;
    auto entry = [&](uint32_t i) { return data_ + kHeaderSize + size_t{i} * kEntrySize; };
    // Binary search for the last entry whose address is <= address.
    uint32_t low = 0, high = count_;
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (read_u64(entry(mid)) <= address) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    if (low == 0) return false;
    const uint8_t* found = entry(low - 1);
    uint64_t symbol_address = read_u64(found);
    uint32_t name_offset = read_u32(found + 8);
    uint32_t symbol_size = read_u32(found + 12);
    // Assembly labels have no size; otherwise insist the address is inside.
    if (symbol_size != 0 && address - symbol_address >= symbol_size) return false;
    if (strings_offset_ + name_offset >= size_) return false;
    out.name = reinterpret_cast<const char*>(data_ + strings_offset_ + name_offset);
    out.address = symbol_address;
    out.offset = address - symbol_address;
    return true;
}

}  // namespace k
