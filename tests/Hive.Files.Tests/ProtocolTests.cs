using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Hive.Files.Native;
using Hive.Files.Protocol;

namespace Hive.Files.Tests;

/// <summary>The structs match linux/fuse.h byte for byte; unknown opcodes answer ENOSYS.</summary>
public class ProtocolTests
{
    [Fact]
    public void Struct_sizes_match_the_kernel_header()
    {
        Assert.Equal(40, Unsafe.SizeOf<FuseInHeader>());
        Assert.Equal(16, Unsafe.SizeOf<FuseOutHeader>());
        Assert.Equal(88, Unsafe.SizeOf<FuseAttr>());
        Assert.Equal(128, Unsafe.SizeOf<FuseEntryOut>());
        Assert.Equal(104, Unsafe.SizeOf<FuseAttrOut>());
        Assert.Equal(64, Unsafe.SizeOf<FuseInitOut>());
        Assert.Equal(88, Unsafe.SizeOf<FuseSetattrIn>());
        Assert.Equal(16, Unsafe.SizeOf<FuseOpenOut>());
        Assert.Equal(16, Unsafe.SizeOf<FuseCreateIn>());
        Assert.Equal(40, Unsafe.SizeOf<FuseReadIn>());
        Assert.Equal(40, Unsafe.SizeOf<FuseWriteIn>());
        Assert.Equal(24, Unsafe.SizeOf<FuseReleaseIn>());
        Assert.Equal(24, Unsafe.SizeOf<FuseFlushIn>());
        Assert.Equal(16, Unsafe.SizeOf<FuseRename2In>());
        Assert.Equal(16, Unsafe.SizeOf<FuseMknodIn>());
        Assert.Equal(80, Unsafe.SizeOf<FuseKstatfs>());
        Assert.Equal(32, Unsafe.SizeOf<FuseFallocateIn>());
        Assert.Equal(24, Unsafe.SizeOf<FuseLseekIn>());
        Assert.Equal(56, Unsafe.SizeOf<FuseCopyFileRangeIn>());
        Assert.Equal(24, Unsafe.SizeOf<FuseDirent>());
        Assert.Equal(24, Unsafe.SizeOf<FuseNotifyInvalInodeOut>());
        Assert.Equal(16, Unsafe.SizeOf<FuseNotifyInvalEntryOut>());
        Assert.Equal(16, Unsafe.SizeOf<FuseBackingMap>());
        Assert.Equal(16, Unsafe.SizeOf<FuseForgetOne>());
        Assert.Equal(256, Unsafe.SizeOf<Libc.Statx>());
        Assert.Equal(112, Unsafe.SizeOf<Libc.Statvfs>());
    }

    [Fact]
    public void Field_offsets_match_the_kernel_header()
    {
        Assert.Equal(36, (int)Marshal.OffsetOf<FuseInHeader>(nameof(FuseInHeader.TotalExtlen)));
        Assert.Equal(40, (int)Marshal.OffsetOf<FuseEntryOut>(nameof(FuseEntryOut.Attr)));
        Assert.Equal(16, (int)Marshal.OffsetOf<FuseAttrOut>(nameof(FuseAttrOut.Attr)));
        Assert.Equal(60, (int)Marshal.OffsetOf<FuseAttr>(nameof(FuseAttr.Mode)));
        Assert.Equal(24, (int)Marshal.OffsetOf<FuseInitOut>(nameof(FuseInitOut.TimeGran)));
        Assert.Equal(32, (int)Marshal.OffsetOf<FuseInitOut>(nameof(FuseInitOut.Flags2)));
        Assert.Equal(36, (int)Marshal.OffsetOf<FuseInitOut>(nameof(FuseInitOut.MaxStackDepth)));
        Assert.Equal(12, (int)Marshal.OffsetOf<FuseOpenOut>(nameof(FuseOpenOut.BackingId)));
        Assert.Equal(68, (int)Marshal.OffsetOf<FuseSetattrIn>(nameof(FuseSetattrIn.Mode)));
        Assert.Equal(76, (int)Marshal.OffsetOf<FuseSetattrIn>(nameof(FuseSetattrIn.Uid)));
        Assert.Equal(0x40, (int)Marshal.OffsetOf<Libc.Statx>(nameof(Libc.Statx.Atime)));
        Assert.Equal(0x80, (int)Marshal.OffsetOf<Libc.Statx>(nameof(Libc.Statx.RdevMajor)));
    }

    [Theory]
    [InlineData(9999u)]
    [InlineData((uint)FuseOpcode.Getlk)]
    [InlineData((uint)FuseOpcode.Ioctl)]
    [InlineData((uint)FuseOpcode.Bmap)]
    [InlineData((uint)FuseOpcode.Statx)]
    public void Unknown_or_unsupported_opcodes_answer_enosys(uint opcode)
    {
        var header = new FuseInHeader { Len = 40, Opcode = opcode, Unique = 77, NodeId = 1 };
        var output = new byte[4096];
        var length = FuseDispatcher.Dispatch(null!, header, [], output, default);
        Assert.Equal(16, length);
        var reply = MemoryMarshal.Read<FuseOutHeader>(output);
        Assert.Equal(16u, reply.Len);
        Assert.Equal(-Errno.ENOSYS, reply.Error);
        Assert.Equal(77ul, reply.Unique);
    }

    [Fact]
    public void Interrupt_and_forget_take_no_reply()
    {
        var output = new byte[4096];
        Assert.Equal(0, FuseDispatcher.Dispatch(null!, new FuseInHeader { Opcode = (uint)FuseOpcode.Interrupt }, new byte[8], output, default));
    }
}
