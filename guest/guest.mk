# lgtest: our own lguest guest kernel and its test programs (guest/), built
# into $(BUILD)/guest/lgtest.elf. Included by the top Makefile, which adds
# $(GUEST_ELFS) to `all`.
#
# Three kinds of source:
#   guest/*.c, guest/tests/*.c, guest/*.S   the kernel (CPL 1), no FPU/SSE code
#   guest/user/*.c, guest/user/*.S          user programs (CPL 3): partially
#       linked into one object whose sections are renamed .user.*, so that
#       guest.ld can link them at user addresses inside the kernel image
#   GUEST_FPU_SRCS                          user files built with SSE code

# This file comes before the top Makefile's first rule: keep `all` the
# default goal (an empty .DEFAULT_GOAL lets the next rule's target be it).
GUEST_SAVED_GOAL := $(.DEFAULT_GOAL)

GUEST_OUT    := $(BUILD)/guest
GUEST_OBJDIR := $(GUEST_OUT)/obj
GUEST_ELFS   := $(GUEST_OUT)/lgtest.elf

GUEST_CFLAGS_COMMON := -m32 -march=i686 -std=gnu11 -ffreestanding -fno-pie -fno-stack-protector \
            -fno-omit-frame-pointer -fno-strict-aliasing -fno-common -fno-delete-null-pointer-checks \
            -fno-asynchronous-unwind-tables -O2 -g \
            -Wall -Wextra -Werror -Wno-unused-parameter \
            -U__linux__ -U__linux -Ulinux -U__gnu_linux__ -U__unix__ -U__unix -Uunix \
            -nostdinc -I. -isystem $(NEWLIB)/i686-elf/include -isystem $(GCC_INC) -MMD -MP
GUEST_CFLAGS   := $(GUEST_CFLAGS_COMMON) -mgeneral-regs-only
# User code must not call into the kernel image, not even for memset.
GUEST_UCFLAGS  := $(GUEST_CFLAGS_COMMON) -fno-builtin -fno-tree-loop-distribute-patterns
GUEST_FPU_FLAGS := -msse -msse2 -mfpmath=sse
GUEST_FPU_SRCS := guest/user/fpu_c.c
GUEST_ASFLAGS  := -m32 -I. -MMD -MP
GUEST_LIBGCC   = $(shell $(CC) -m32 -print-libgcc-file-name 2>/dev/null)

GUEST_KSRCS := $(wildcard guest/*.c guest/*.S guest/tests/*.c)
GUEST_USRCS := $(wildcard guest/user/*.c guest/user/*.S)
GUEST_KOBJS := $(patsubst guest/%,$(GUEST_OBJDIR)/%.o,$(GUEST_KSRCS))
GUEST_UOBJS := $(patsubst guest/%,$(GUEST_OBJDIR)/%.o,$(GUEST_USRCS))
GUEST_UIMAGE := $(GUEST_OBJDIR)/user-image.o

$(GUEST_OBJDIR)/user/%.c.o: guest/user/%.c | $(NEWLIB_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(GUEST_UCFLAGS) $(if $(filter $<,$(GUEST_FPU_SRCS)),$(GUEST_FPU_FLAGS),-mgeneral-regs-only) -c $< -o $@

$(GUEST_OBJDIR)/user/%.S.o: guest/user/%.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(GUEST_ASFLAGS) -c $< -o $@

$(GUEST_OBJDIR)/%.c.o: guest/%.c | $(NEWLIB_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJDIR)/%.S.o: guest/%.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(GUEST_ASFLAGS) -c $< -o $@

# The user image: one relocatable object, checked to need nothing from
# the kernel and to define only u_/user_ names (it shares the final link's
# symbol table with the kernel and newlib), then its sections renamed.
$(GUEST_UIMAGE): $(GUEST_UOBJS)
	@echo "  USER    $@"
	@ld -m elf_i386 -r -o $@.tmp $(GUEST_UOBJS)
	@undef=$$(nm -u $@.tmp); if [ -n "$$undef" ]; then \
	    echo "guest user code calls outside itself:"; echo "$$undef"; rm -f $@.tmp; exit 1; fi
	@bad=$$(nm -g --defined-only $@.tmp | awk '$$3 !~ /^(u_|user_)/'); if [ -n "$$bad" ]; then \
	    echo "guest user globals must start with u_ or user_:"; echo "$$bad"; rm -f $@.tmp; exit 1; fi
	@objcopy --prefix-alloc-sections=.user $@.tmp $@
	@rm -f $@.tmp

$(GUEST_OUT)/lgtest.elf: $(GUEST_KOBJS) $(GUEST_UIMAGE) guest/guest.ld $(NEWLIB_STAMP)
	@echo "  LD      $@"
	@$(CC) -m32 -nostdlib -static -no-pie -Wl,-T,guest/guest.ld -Wl,--build-id=none \
	    -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -o $@ $(GUEST_KOBJS) $(GUEST_UIMAGE) \
	    -Wl,--start-group $(NEWLIB)/i686-elf/lib/libc.a $(GUEST_LIBGCC) -Wl,--end-group

# The same guest as a 2.6.32-era lguest kernel (-DLG_GEN2632: vmcall
# hypercalls, the host builds its first page tables, the 2.6.32 lguest_data
# and device status protocol), for the guest-generation tests. The user
# image makes no hypercalls and is shared.
GUEST_OBJDIR_2632 := $(GUEST_OUT)/obj-2632
GUEST_KOBJS_2632  := $(patsubst guest/%,$(GUEST_OBJDIR_2632)/%.o,$(GUEST_KSRCS))
GUEST_ELFS        += $(GUEST_OUT)/lgtest-2632.elf

$(GUEST_OBJDIR_2632)/%.c.o: guest/%.c | $(NEWLIB_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (2.6.32)"
	@$(CC) $(GUEST_CFLAGS) -DLG_GEN2632 -c $< -o $@

$(GUEST_OBJDIR_2632)/%.S.o: guest/%.S
	@mkdir -p $(dir $@)
	@echo "  AS      $< (2.6.32)"
	@$(CC) $(GUEST_ASFLAGS) -DLG_GEN2632 -c $< -o $@

$(GUEST_OUT)/lgtest-2632.elf: $(GUEST_KOBJS_2632) $(GUEST_UIMAGE) guest/guest.ld $(NEWLIB_STAMP)
	@echo "  LD      $@"
	@$(CC) -m32 -nostdlib -static -no-pie -Wl,-T,guest/guest.ld -Wl,--build-id=none \
	    -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -o $@ $(GUEST_KOBJS_2632) $(GUEST_UIMAGE) \
	    -Wl,--start-group $(NEWLIB)/i686-elf/lib/libc.a $(GUEST_LIBGCC) -Wl,--end-group

# The same guest as a 4.x lguest kernel (-DLG_GEN4: the 4.x lguest_data
# with noirq_iret, no NOTIFY and no device page; its devices are virtio
# 1.0 virtio-pci functions found through 0xCF8/0xCFC and driven by MMIO in
# BAR0, its early console is emerg_wr through the PCI-config window).
GUEST_OBJDIR_4 := $(GUEST_OUT)/obj-4
GUEST_KOBJS_4  := $(patsubst guest/%,$(GUEST_OBJDIR_4)/%.o,$(GUEST_KSRCS))
GUEST_ELFS     += $(GUEST_OUT)/lgtest-4.elf

$(GUEST_OBJDIR_4)/%.c.o: guest/%.c | $(NEWLIB_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (4.x)"
	@$(CC) $(GUEST_CFLAGS) -DLG_GEN4 -c $< -o $@

$(GUEST_OBJDIR_4)/%.S.o: guest/%.S
	@mkdir -p $(dir $@)
	@echo "  AS      $< (4.x)"
	@$(CC) $(GUEST_ASFLAGS) -DLG_GEN4 -c $< -o $@

$(GUEST_OUT)/lgtest-4.elf: $(GUEST_KOBJS_4) $(GUEST_UIMAGE) guest/guest.ld $(NEWLIB_STAMP)
	@echo "  LD      $@"
	@$(CC) -m32 -nostdlib -static -no-pie -Wl,-T,guest/guest.ld -Wl,--build-id=none \
	    -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -o $@ $(GUEST_KOBJS_4) $(GUEST_UIMAGE) \
	    -Wl,--start-group $(NEWLIB)/i686-elf/lib/libc.a $(GUEST_LIBGCC) -Wl,--end-group

# The same guest with PAE page tables (-DLG_PAE: guest/pgtable_pae.c and
# the PAE boot tables of guest/entry.S), as a Linux 3.10 HIGHMEM64G lguest
# kernel keeps them, for the PAE tests.
GUEST_OBJDIR_PAE := $(GUEST_OUT)/obj-pae
GUEST_KOBJS_PAE  := $(patsubst guest/%,$(GUEST_OBJDIR_PAE)/%.o,$(GUEST_KSRCS))
GUEST_ELFS       += $(GUEST_OUT)/lgtest-pae.elf

$(GUEST_OBJDIR_PAE)/%.c.o: guest/%.c | $(NEWLIB_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (PAE)"
	@$(CC) $(GUEST_CFLAGS) -DLG_PAE -c $< -o $@

$(GUEST_OBJDIR_PAE)/%.S.o: guest/%.S
	@mkdir -p $(dir $@)
	@echo "  AS      $< (PAE)"
	@$(CC) $(GUEST_ASFLAGS) -DLG_PAE -c $< -o $@

$(GUEST_OUT)/lgtest-pae.elf: $(GUEST_KOBJS_PAE) $(GUEST_UIMAGE) guest/guest.ld $(NEWLIB_STAMP)
	@echo "  LD      $@"
	@$(CC) -m32 -nostdlib -static -no-pie -Wl,-T,guest/guest.ld -Wl,--build-id=none \
	    -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -o $@ $(GUEST_KOBJS_PAE) $(GUEST_UIMAGE) \
	    -Wl,--start-group $(NEWLIB)/i686-elf/lib/libc.a $(GUEST_LIBGCC) -Wl,--end-group

.PHONY: guest guest-clean
guest: $(GUEST_ELFS)
guest-clean:
	rm -rf $(GUEST_OUT)
clean: guest-clean

-include $(GUEST_KOBJS:.o=.d) $(GUEST_KOBJS_2632:.o=.d) $(GUEST_KOBJS_4:.o=.d) $(GUEST_KOBJS_PAE:.o=.d) $(GUEST_UOBJS:.o=.d)

.DEFAULT_GOAL := $(GUEST_SAVED_GOAL)
