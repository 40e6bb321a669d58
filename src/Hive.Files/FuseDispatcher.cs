using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Hive.Files.Native;
using Hive.Files.Protocol;

namespace Hive.Files;

/// <summary>
/// Decodes one request from its bytes, calls the file system, and encodes the reply into the worker's output
/// buffer. Returns the length of the reply to write, or 0 when the opcode takes no reply (FORGET, INTERRUPT).
/// </summary>
internal static class FuseDispatcher
{
    private const int HeaderSize = 16;

    public static int Dispatch(IFuseFileSystem fs, in FuseInHeader header, ReadOnlySpan<byte> body, Span<byte> output, in FuseNegotiated negotiated)
    {
        var c = new FuseContext(header.Unique, header.NodeId, header.Uid, header.Gid, header.Pid);
        var payload = output[HeaderSize..];
        int error;
        var size = 0;
        switch ((FuseOpcode)header.Opcode)
        {
            case FuseOpcode.Lookup:
            {
                error = fs.Lookup(c, Name(body, out _), out var entry);
                if (error == 0) size = Put(payload, entry);
                break;
            }
            case FuseOpcode.Forget:
                fs.Forget(header.NodeId, Read<FuseForgetIn>(body).Nlookup);
                return 0;
            case FuseOpcode.BatchForget:
            {
                var count = Read<FuseBatchForgetIn>(body).Count;
                var items = MemoryMarshal.Cast<byte, FuseForgetOne>(body[8..]);
                for (var i = 0; i < count && i < items.Length; i++) fs.Forget(items[i].NodeId, items[i].Nlookup);
                return 0;
            }
            case FuseOpcode.Interrupt:
                // Operations here are short system calls; an interrupted request simply completes.
                return 0;
            case FuseOpcode.Getattr:
            {
                var input = Read<FuseGetattrIn>(body);
                error = fs.Getattr(c, input.Fh, (input.GetattrFlags & FuseConstants.GetattrFh) != 0, out var attr);
                if (error == 0) size = Put(payload, attr);
                break;
            }
            case FuseOpcode.Setattr:
            {
                error = fs.Setattr(c, Read<FuseSetattrIn>(body), out var attr);
                if (error == 0) size = Put(payload, attr);
                break;
            }
            case FuseOpcode.Readlink:
                error = fs.Readlink(c, payload[..Math.Min(payload.Length, 4096)], out size);
                break;
            case FuseOpcode.Symlink:
            {
                var name = Name(body, out var rest);
                var target = Name(rest, out _);
                error = fs.Symlink(c, name, target, out var entry);
                if (error == 0) size = Put(payload, entry);
                break;
            }
            case FuseOpcode.Mknod:
            {
                var input = Read<FuseMknodIn>(body);
                error = fs.Mknod(c, Name(body[Unsafe.SizeOf<FuseMknodIn>()..], out _), input.Mode, input.Rdev, input.Umask, out var entry);
                if (error == 0) size = Put(payload, entry);
                break;
            }
            case FuseOpcode.Mkdir:
            {
                var input = Read<FuseMkdirIn>(body);
                error = fs.Mkdir(c, Name(body[Unsafe.SizeOf<FuseMkdirIn>()..], out _), input.Mode, input.Umask, out var entry);
                if (error == 0) size = Put(payload, entry);
                break;
            }
            case FuseOpcode.Unlink:
                error = fs.Unlink(c, Name(body, out _));
                break;
            case FuseOpcode.Rmdir:
                error = fs.Rmdir(c, Name(body, out _));
                break;
            case FuseOpcode.Rename:
            {
                var input = Read<FuseRenameIn>(body);
                var oldName = Name(body[Unsafe.SizeOf<FuseRenameIn>()..], out var rest);
                error = fs.Rename(c, oldName, input.NewDir, Name(rest, out _), 0);
                break;
            }
            case FuseOpcode.Rename2:
            {
                var input = Read<FuseRename2In>(body);
                var oldName = Name(body[Unsafe.SizeOf<FuseRename2In>()..], out var rest);
                error = fs.Rename(c, oldName, input.NewDir, Name(rest, out _), input.Flags);
                break;
            }
            case FuseOpcode.Link:
            {
                var input = Read<FuseLinkIn>(body);
                error = fs.Link(c, input.OldNodeId, Name(body[Unsafe.SizeOf<FuseLinkIn>()..], out _), out var entry);
                if (error == 0) size = Put(payload, entry);
                break;
            }
            case FuseOpcode.Open:
            {
                error = fs.Open(c, Read<FuseOpenIn>(body).Flags, out var open);
                if (error == 0) size = Put(payload, open);
                break;
            }
            case FuseOpcode.Create:
            {
                var input = Read<FuseCreateIn>(body);
                error = fs.Create(c, Name(body[Unsafe.SizeOf<FuseCreateIn>()..], out _), input.Flags, input.Mode, input.Umask, out var entry, out var open);
                if (error == 0)
                {
                    size = Put(payload, entry);
                    size += Put(payload[size..], open);
                }
                break;
            }
            case FuseOpcode.Read:
            {
                var input = Read<FuseReadIn>(body);
                var length = (int)Math.Min(input.Size, (uint)payload.Length);
                error = fs.Read(c, input.Fh, (long)input.Offset, payload[..length], out size);
                break;
            }
            case FuseOpcode.Write:
            {
                var input = Read<FuseWriteIn>(body);
                var data = body[Unsafe.SizeOf<FuseWriteIn>()..];
                if (data.Length > input.Size) data = data[..(int)input.Size];
                error = fs.Write(c, input.Fh, (long)input.Offset, data, out var written);
                if (error == 0) size = Put(payload, new FuseWriteOut { Size = (uint)written });
                break;
            }
            case FuseOpcode.Statfs:
            {
                error = fs.Statfs(c, out var stats);
                if (error == 0) size = Put(payload, stats);
                break;
            }
            case FuseOpcode.Release:
                error = fs.Release(c, Read<FuseReleaseIn>(body).Fh);
                break;
            case FuseOpcode.Fsync:
            {
                var input = Read<FuseFsyncIn>(body);
                error = fs.Fsync(c, input.Fh, (input.FsyncFlags & FuseConstants.FsyncFdatasync) != 0);
                break;
            }
            case FuseOpcode.Fsyncdir:
                error = 0;
                break;
            case FuseOpcode.Flush:
                error = fs.Flush(c, Read<FuseFlushIn>(body).Fh);
                break;
            case FuseOpcode.Setxattr:
            {
                var fixedSize = negotiated.SetxattrExt ? 16 : Unsafe.SizeOf<FuseSetxattrIn>();
                var input = Read<FuseSetxattrIn>(body);
                var name = Name(body[fixedSize..], out var rest);
                var value = rest[..(int)Math.Min(input.Size, (uint)rest.Length)];
                error = fs.Setxattr(c, name, value, (int)input.Flags);
                break;
            }
            case FuseOpcode.Getxattr:
            {
                var input = Read<FuseGetxattrIn>(body);
                var name = Name(body[Unsafe.SizeOf<FuseGetxattrIn>()..], out _);
                error = XattrReply(fs.Getxattr(c, name, input.Size == 0 ? [] : payload[..(int)Math.Min(input.Size, (uint)payload.Length)], out var length), input.Size, length, payload, ref size);
                break;
            }
            case FuseOpcode.Listxattr:
            {
                var input = Read<FuseGetxattrIn>(body);
                error = XattrReply(fs.Listxattr(c, input.Size == 0 ? [] : payload[..(int)Math.Min(input.Size, (uint)payload.Length)], out var length), input.Size, length, payload, ref size);
                break;
            }
            case FuseOpcode.Removexattr:
                error = fs.Removexattr(c, Name(body, out _));
                break;
            case FuseOpcode.Opendir:
            {
                error = fs.Opendir(c, Read<FuseOpenIn>(body).Flags, out var open);
                if (error == 0) size = Put(payload, open);
                break;
            }
            case FuseOpcode.Readdir:
            case FuseOpcode.Readdirplus:
            {
                var input = Read<FuseReadIn>(body);
                var buffer = new DirectoryBuffer(payload[..(int)Math.Min(input.Size, (uint)payload.Length)], header.Opcode == (uint)FuseOpcode.Readdirplus);
                error = fs.Readdir(c, input.Fh, (long)input.Offset, ref buffer);
                size = error == 0 ? buffer.Used : 0;
                break;
            }
            case FuseOpcode.Releasedir:
                error = fs.Releasedir(c, Read<FuseReleaseIn>(body).Fh);
                break;
            case FuseOpcode.Access:
                error = fs.Access(c, Read<FuseAccessIn>(body).Mask);
                break;
            case FuseOpcode.Fallocate:
            {
                var input = Read<FuseFallocateIn>(body);
                error = fs.Fallocate(c, input.Fh, (long)input.Offset, (long)input.Length, (int)input.Mode);
                break;
            }
            case FuseOpcode.Lseek:
            {
                var input = Read<FuseLseekIn>(body);
                error = fs.Lseek(c, input.Fh, (long)input.Offset, (int)input.Whence, out var result);
                if (error == 0) size = Put(payload, new FuseLseekOut { Offset = (ulong)result });
                break;
            }
            case FuseOpcode.CopyFileRange:
            {
                var input = Read<FuseCopyFileRangeIn>(body);
                error = fs.CopyFileRange(c, input.FhIn, (long)input.OffIn, input.NodeIdOut, input.FhOut, (long)input.OffOut, (long)input.Len, (uint)input.Flags, out var copied);
                if (error == 0) size = Put(payload, new FuseWriteOut { Size = (uint)Math.Min(copied, uint.MaxValue) });
                break;
            }
            case FuseOpcode.Destroy:
                fs.Destroy();
                error = 0;
                break;
            default:
                error = Errno.ENOSYS;
                break;
        }
        return Finish(output, header.Unique, error, error == 0 ? size : 0);
    }

    /// <summary>Writes the out header for an error-only reply (used when a handler threw).</summary>
    public static int Finish(Span<byte> output, ulong unique, int error, int payloadSize)
    {
        var header = new FuseOutHeader { Len = (uint)(HeaderSize + payloadSize), Error = -error, Unique = unique };
        MemoryMarshal.Write(output, in header);
        return HeaderSize + payloadSize;
    }

    private static int XattrReply(int error, uint requested, int length, Span<byte> payload, ref int size)
    {
        if (error != 0) return error;
        if (requested == 0)
        {
            size = Put(payload, new FuseGetxattrOut { Size = (uint)length });
            return 0;
        }
        size = length;
        return 0;
    }

    private static T Read<T>(ReadOnlySpan<byte> body) where T : unmanaged
    {
        if (body.Length >= Unsafe.SizeOf<T>()) return MemoryMarshal.Read<T>(body);
        // A shorter argument (an older layout): missing fields read as zero.
        Span<byte> padded = stackalloc byte[Unsafe.SizeOf<T>()];
        padded.Clear();
        body.CopyTo(padded);
        return MemoryMarshal.Read<T>(padded);
    }

    private static int Put<T>(Span<byte> payload, in T value) where T : unmanaged
    {
        MemoryMarshal.Write(payload, in value);
        return Unsafe.SizeOf<T>();
    }

    /// <summary>A NUL-terminated name at the start of <paramref name="data"/>; <paramref name="rest"/> is what follows the NUL.</summary>
    private static ReadOnlySpan<byte> Name(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> rest)
    {
        var end = data.IndexOf((byte)0);
        if (end < 0)
        {
            rest = [];
            return data;
        }
        rest = data[(end + 1)..];
        return data[..end];
    }
}

/// <summary>What INIT settled that changes how requests are decoded.</summary>
internal readonly struct FuseNegotiated(uint minor, ulong flags)
{
    public uint Minor { get; } = minor;
    public ulong Flags { get; } = flags;
    public bool SetxattrExt => (Flags & FuseConstants.SetxattrExt) != 0;
}
