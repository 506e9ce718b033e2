#include "arch/x86_64/pit.h"

#include "arch/x86_64/cpu.h"

namespace arch {

namespace {
constexpr uint16_t kChannel0Data = 0x40;
constexpr uint16_t kChannel2Data = 0x42;
constexpr uint16_t kCommand = 0x43;
constexpr uint16_t kSpeakerPort = 0x61;  // bit 0: channel 2 gate, bit 5: channel 2 output
}  // namespace

// Channel 2, mode 0 (interrupt on terminal count): the output goes high
// when the count reaches zero, which port 0x61 bit 5 shows. The gate is
// opened and the speaker kept off (bit 1 clear).
void pit_channel2_start(uint16_t count) {
    uint8_t control = inb(kSpeakerPort);
    outb(kSpeakerPort, static_cast<uint8_t>((control & ~0x02) & ~0x01));  // gate low while programming
    outb(kCommand, 0xb0);                                                  // channel 2, lobyte/hibyte, mode 0
    outb(kChannel2Data, static_cast<uint8_t>(count));
    outb(kChannel2Data, static_cast<uint8_t>(count >> 8));
    outb(kSpeakerPort, static_cast<uint8_t>((control & ~0x02) | 0x01));    // gate high: counting starts
}

bool pit_channel2_done() { return inb(kSpeakerPort) & 0x20; }

void pit_channel0_start_periodic(uint32_t hz) {
    uint32_t divisor = hz == 0 ? 0xffff : kPitFrequencyHz / hz;
    if (divisor < 2) divisor = 2;
    if (divisor > 0xffff) divisor = 0xffff;
    outb(kCommand, 0x34);  // channel 0, lobyte/hibyte, mode 2 (rate generator)
    outb(kChannel0Data, static_cast<uint8_t>(divisor));
    outb(kChannel0Data, static_cast<uint8_t>(divisor >> 8));
}

// Mode 0 with the largest count: one more edge, 55 ms from now, then quiet.
void pit_channel0_stop() {
    outb(kCommand, 0x30);
    outb(kChannel0Data, 0xff);
    outb(kChannel0Data, 0xff);
}

}  // namespace arch
