# lgvisor: `make` builds build/lgvisor.elf, `make iso` the bootable image,
# `make qemu` boots it, `make test` runs every test. Missing Debian packages
# are installed first (as root) by scripts/ensure-deps.sh.
# (LIBS is expanded late: libgcc for -m32 exists only once gcc-multilib is in.)

BUILD    := build
NEWLIB   := $(BUILD)/newlib
NEWLIB_STAMP := $(NEWLIB)/i686-elf/lib/libc.a
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

CC       := gcc
GCC_INC  := $(shell $(CC) -m32 -print-file-name=include)
CFLAGS   := -m32 -march=i686 -std=gnu11 -ffreestanding -fno-pie -fno-stack-protector \
            -fno-omit-frame-pointer -fno-strict-aliasing -mgeneral-regs-only -O2 -g \
            -Wall -Wextra -Werror -Wno-unused-parameter \
            -U__linux__ -U__linux -Ulinux -U__gnu_linux__ -U__unix__ -U__unix -Uunix \
            -nostdinc -I. -isystem $(NEWLIB)/i686-elf/include -isystem $(GCC_INC) -DLGVISOR_VERSION='"$(VERSION)"' -MMD -MP
GEN      := $(BUILD)/gen
ASFLAGS  := -m32 -I. -I$(GEN) -MMD -MP
LDFLAGS  := -m32 -nostdlib -static -no-pie -Wl,-T,linker.ld -Wl,--build-id=none -Wl,-z,noexecstack
LIBS      = $(NEWLIB)/i686-elf/lib/libc.a $(shell $(CC) -m32 -print-libgcc-file-name 2>/dev/null)

SRCS     := $(wildcard boot/*.S arch/x86/*.S arch/x86/*.c kernel/*.c kernel/lguest/*.c drivers/*.c virtio/*.c)
OBJS     := $(patsubst %,$(BUILD)/obj/%.o,$(SRCS))
include guest/guest.mk

ACCEL    ?= tcg
MEM      ?= 256M
MACHINE  ?= pc
SMP      ?= 1
# FIRMWARE=uefi boots under OVMF: its x86_64 build (and GRUB's x86_64 EFI
# loader) needs a CPU with long mode, which coreduo lacks (QEMU then exits
# without a word); lgvisor itself still runs in 32-bit protected mode.
FIRMWARE ?= bios
OVMF_CODE := /usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS := /usr/share/OVMF/OVMF_VARS_4M.fd
ifeq ($(FIRMWARE),uefi)
QEMU     := qemu-system-x86_64
QEMU_CPU := core2duo
QEMU_FW   = -drive if=pflash,format=raw,readonly=on,file=$(OVMF_CODE) \
            -drive if=pflash,format=raw,file=$(BUILD)/ovmf-vars.fd
else ifeq ($(FIRMWARE),bios)
QEMU     := qemu-system-i386
QEMU_CPU := coreduo
QEMU_FW   =
else
$(error FIRMWARE=$(FIRMWARE): bios or uefi)
endif
QEMU_ARGS = -machine $(MACHINE) -accel $(ACCEL) -cpu $(QEMU_CPU) -smp $(SMP) -m $(MEM) -serial mon:stdio \
             -display none -no-reboot $(QEMU_FW) \
             -netdev user,id=net0,restrict=on -device e1000,netdev=net0

.PHONY: all deps iso image qemu qemu-gdb qemu-gdb-guest test test-linux unit bench clean
include guest/raw/raw.mk

all: $(BUILD)/lgvisor.elf $(RAW_ELFS) $(GUEST_ELFS)

deps:
	@scripts/ensure-deps.sh

$(NEWLIB_STAMP):
	@scripts/ensure-deps.sh
	@echo "  NEWLIB  $(NEWLIB) (once, under a minute)"
	@scripts/build-newlib.sh $(NEWLIB)

$(BUILD)/obj/%.c.o: %.c | $(NEWLIB_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

# Structure offsets for assembly, from the C structures themselves.
$(GEN)/asm-offsets.h: arch/x86/gen/asm_offsets.c arch/x86/trap.h | $(NEWLIB_STAMP)
	@mkdir -p $(GEN)
	@echo "  GEN     $@"
	@$(CC) $(CFLAGS) -MF /dev/null -S $< -o $(GEN)/asm_offsets.s
	@sed -n 's/^->\([A-Z0-9_]*\) \([0-9]*\).*/#define \1 \2/p' $(GEN)/asm_offsets.s > $@.tmp
	@mv $@.tmp $@

$(BUILD)/obj/arch/x86/switcher.S.o: $(GEN)/asm-offsets.h

$(BUILD)/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(ASFLAGS) -c $< -o $@

$(BUILD)/lgvisor.elf: $(OBJS) linker.ld
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

iso: $(BUILD)/lgvisor.iso
$(BUILD)/lgvisor.iso: $(BUILD)/lgvisor.elf boot/mkiso.sh
	@scripts/ensure-deps.sh
	@echo "  ISO     $@"
	@boot/mkiso.sh $@ $(BUILD)/lgvisor.elf "console=com1"

# The appliance: the hypervisor and one guest with a disk. By default the
# demo (our own guest's shell); GUEST/INITRD/DISK/GUEST_ARGS name your own:
#   make qemu GUEST=vmlinux INITRD=initramfs.gz DISK=root.ext2 GUEST_ARGS="console=hvc0 root=/dev/vda"
DEMO_DISK  := $(BUILD)/demo-disk.img
GUEST      ?= $(BUILD)/guest/lgtest.elf
GUEST_NAME ?= demo
GUEST_MEM  ?= 64M
GUEST_ARGS ?= test=shell ip=10.0.2.15
GUEST_OPTS ?=
INITRD     ?=
DISK       ?= $(DEMO_DISK)
HV_ARGS    ?= console=com1
IMAGE      ?= $(BUILD)/appliance.iso

$(DEMO_DISK): scripts/mkdisk.sh
	@echo "  DISK    $@"
	@scripts/mkdisk.sh $@ 8

# An appliance file instead (README, "Appliance files"): CONFIG=examples/NAME.cfg
# builds build/NAME.iso and the raw disk image build/NAME.img; `make qemu`
# boots the raw image as the machine's SATA disk (BOOT=iso: the ISO as a
# CD-ROM instead). A rebuild keeps what the guests wrote to the image's data
# partitions; FRESH=1 starts them afresh.
comma    := ,
CONFIG   ?=
BOOT     ?= disk
FRESH    ?=
ifneq ($(CONFIG),)
APPLIANCE := $(BUILD)/$(basename $(notdir $(CONFIG)))
# q35 has its AHCI controller built in; pc gets one
APPLIANCE_DISK := -drive if=none,id=d0,file=$(APPLIANCE).img,format=raw \
    $(if $(filter q35,$(MACHINE)),-device ide-hd$(comma)drive=d0$(comma)bus=ide.0$(comma)bootindex=1,\
    -device ahci$(comma)id=ahci -device ide-hd$(comma)drive=d0$(comma)bus=ahci.0$(comma)bootindex=1)
QEMU_BOOT = $(if $(filter iso,$(BOOT)),-cdrom $(APPLIANCE).iso,$(APPLIANCE_DISK))
image: deps all $(DEMO_DISK)
	@python3 boot/appliance.py $(CONFIG) --out $(BUILD) $(if $(FRESH),--fresh)
else
QEMU_BOOT = -cdrom $(IMAGE)
image: deps all $(if $(filter $(DEMO_DISK),$(DISK)),$(DEMO_DISK))
	@echo "  ISO     $(IMAGE): $(GUEST_NAME) = $(GUEST)$(if $(INITRD), + $(INITRD))$(if $(DISK), + disk $(DISK))"
	@boot/mkiso.sh $(IMAGE) $(BUILD)/lgvisor.elf "$(HV_ARGS)" \
	    $(GUEST) "kernel name=$(GUEST_NAME) mem=$(GUEST_MEM) $(GUEST_OPTS) -- $(GUEST_ARGS)" \
	    $(if $(INITRD),$(INITRD) "initrd name=$(GUEST_NAME)") \
	    $(if $(DISK),$(DISK) "disk name=$(GUEST_NAME)")
endif

# OVMF keeps its settings in a writable copy of its variable store
$(BUILD)/ovmf-vars.fd:
	@mkdir -p $(BUILD)
	@cp $(OVMF_VARS) $@

qemu: image $(if $(filter uefi,$(FIRMWARE)),$(BUILD)/ovmf-vars.fd)
	@echo "lgvisor in QEMU ($(MACHINE), $(FIRMWARE), $(SMP) CPU(s), $(ACCEL)): Ctrl-] moves the console between guests"
	@echo "and the hypervisor monitor; Ctrl-A X quits QEMU, Ctrl-A C switches to the QEMU monitor"
	$(QEMU) $(QEMU_ARGS) $(QEMU_BOOT)

qemu-gdb: deps $(BUILD)/lgvisor.iso $(if $(filter uefi,$(FIRMWARE)),$(BUILD)/ovmf-vars.fd)
	@echo "waiting for gdb: in another terminal run"
	@echo "  gdb $(BUILD)/lgvisor.elf -ex 'target remote :1234'"
	$(QEMU) $(QEMU_ARGS) -cdrom $(BUILD)/lgvisor.iso -s -S

# The appliance with its guest under the gdb stub: the guest (gdb=on) waits
# at its first instruction; QEMU's second serial port, the stub's, is a TCP
# server on 127.0.0.1:GDB_PORT. NAME= names the guest (default: demo).
GDB_PORT ?= 1235
qemu-gdb-guest: GUEST_NAME := $(or $(NAME),$(GUEST_NAME))
qemu-gdb-guest: GUEST_OPTS += gdb=on
qemu-gdb-guest: IMAGE := $(BUILD)/appliance-gdb.iso
qemu-gdb-guest: image $(if $(filter uefi,$(FIRMWARE)),$(BUILD)/ovmf-vars.fd)
	@echo "guest $(GUEST_NAME) waits for gdb; in another terminal run"
	@echo "  gdb $(GUEST) -ex 'target remote 127.0.0.1:$(GDB_PORT)'"
	@echo "(e.g. then: break cmd_uptime, continue, and type uptime at the guest's shell; 'gdb off' at the monitor detaches)"
	$(QEMU) $(QEMU_ARGS) -serial tcp:127.0.0.1:$(GDB_PORT),server=on,wait=off -cdrom $(IMAGE)

unit:
	@tests/unit/run.sh

test: deps all $(BUILD)/lgvisor.iso $(DEMO_DISK)
	@python3 tests/run.py

# Opt-in tests with a Linux 3.10 lguest guest (not in `make test`: no kernel ships):
#   make test-linux LINUX=vmlinux INITRD=initramfs.cpio.gz [DISK=root.ext2] [PLAIN=non-lguest-kernel]
# (DISK's default above is the demo disk, which is not a Linux root: it is not passed on.)
test-linux: $(if $(LINUX),deps all)
	@python3 tests/linux_tests.py --linux "$(LINUX)" --initrd "$(INITRD)" \
	    --disk "$(filter-out $(DEMO_DISK),$(DISK))" --linux26 "$(LINUX26)" --linux4 "$(LINUX4)" --linuxpae "$(LINUXPAE)" \
	    --plain $(PLAIN) $(if $(ONLY),-- $(ONLY))

bench: deps all
	@python3 tests/bench.py

# A Linux lguest guest on lgvisor against the same kernel booted natively in
# QEMU (tests/linux_bench.py; NATIVE= a bzImage when LINUX is a vmlinux):
#   make bench-linux LINUX=bzImage INITRD=initramfs.cpio.gz [NATIVE=bzImage]
LINUX  ?=
LINUX26 ?=
LINUX4 ?=
NATIVE ?=
.PHONY: bench-linux
bench-linux: deps all
	@test -n "$(LINUX)" -a -n "$(INITRD)" || { echo "usage: make bench-linux LINUX=bzImage|vmlinux INITRD=initramfs.cpio.gz [NATIVE=bzImage]" >&2; exit 2; }
	@python3 tests/linux_bench.py --linux "$(LINUX)" --initrd "$(INITRD)" $(if $(NATIVE),--native "$(NATIVE)")

clean:
	rm -rf $(BUILD)/obj $(BUILD)/lgvisor.* $(BUILD)/test $(BUILD)/unit

-include $(OBJS:.o=.d)
