# Raw assembly guests for the cases before and at LGUEST_INIT (early.S):
# build/guest/raw-<case>.elf, one per case.
RAW_CASES := ok hcall_before_init init_outside init_unaligned init_straddle \
             bad_syscall_vector bad_kernel_address fault_before_init \
             hlt_before_init linear_beyond_memory
RAW_ELFS  := $(patsubst %,$(BUILD)/guest/raw-%.elf,$(RAW_CASES))

$(BUILD)/guest/raw-%.elf: guest/raw/early.S guest/raw/raw.mk
	@mkdir -p $(dir $@)
	@echo "  RAW     $@"
	@$(CC) -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext=0x200000 \
	    -Wl,-z,noexecstack -DCASE_$* $< -o $@
