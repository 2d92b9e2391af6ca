#!/bin/bash
# loop.sh TAG N: N probe boots (two at a time) of the cold run's trimmed debug kernel,
# -cpu max,la57=off as make check; a boot that does not reach /init in 300 s is a hang.
tag=$1 n=$2
KD=/work/cold3/build/debug/arch/x86/boot/bzImage
INITRD=/tmp/ci-cold3/build/initramfs-debug.cpio
one() {
  s=$(date +%s)
  timeout 300 qemu-system-x86_64 -accel tcg,thread=multi -cpu max,la57=off -smp 2 -m 1024 -kernel $KD -initrd $INITRD \
    -append "console=ttyS0 panic=-1 ptw.mode=probe" -display none -monitor none -no-reboot \
    -serial file:console-$tag-$1.log -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >/dev/null 2>&1
  echo "boot $1 exit $? $(( $(date +%s) - s )) s"
}
i=0
while [ $i -lt $n ]; do
  one $i & one $((i+1)) & wait
  i=$((i+2))
done
init=$(grep -l "Run /init as init process" console-$tag-*.log | wc -l)
cs=$(grep -l "Switched to clocksource tsc-early" console-$tag-*.log | wc -l)
splat=$(grep -lE "BUG:|WARNING:|Oops" console-$tag-*.log | wc -l)
echo "$tag: $n boots of $KD (-cpu max,la57=off), $cs past the clocksource switch, $init reached /init, $splat with BUG/WARNING/Oops; qemu: $(qemu-system-x86_64 --version | head -1)"
