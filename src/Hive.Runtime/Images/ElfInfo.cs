namespace Hive.Runtime.Images;

/// <summary>Just enough ELF to tell a static binary (no PT_INTERP program header) from a dynamic one.</summary>
internal static class ElfInfo
{
    private const uint PtInterp = 3;

    /// <summary>True if the file is an ELF executable that needs no dynamic loader; false if it needs one or is not ELF.</summary>
    public static bool IsStaticExecutable(string path)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length < 52 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F') return false;
        var is64 = data[4] == 2;
        var little = data[5] == 1;
        if (!little) return false; // every architecture we run on is little-endian
        var span = data.AsSpan();
        ulong phoff = is64 ? BitConverter.ToUInt64(span[0x20..]) : BitConverter.ToUInt32(span[0x1C..]);
        int phentsize = BitConverter.ToUInt16(span[(is64 ? 0x36 : 0x2A)..]);
        int phnum = BitConverter.ToUInt16(span[(is64 ? 0x38 : 0x2C)..]);
        for (var i = 0; i < phnum; i++)
        {
            var offset = phoff + (ulong)(i * phentsize);
            if (offset + 4 > (ulong)data.Length) return false;
            if (BitConverter.ToUInt32(span[(int)offset..]) == PtInterp) return false;
        }
        return true;
    }
}
