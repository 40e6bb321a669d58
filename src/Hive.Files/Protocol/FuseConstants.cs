namespace Hive.Files.Protocol;

/// <summary>Flag values from <c>linux/fuse.h</c> (protocol 7.40).</summary>
internal static class FuseConstants
{
    public const uint KernelVersion = 7;
    /// <summary>The minor version this implementation speaks: 7.40 adds passthrough (backing_id, max_stack_depth).</summary>
    public const uint KernelMinorVersion = 40;
    /// <summary>The oldest minor version accepted (the issue asks for 7.31+).</summary>
    public const uint MinimumMinorVersion = 31;
    public const ulong RootId = 1;
    public const int MinReadBuffer = 8192;

    // INIT flags (fuse_init_in/out.flags; bits 32..63 travel in flags2).
    public const ulong AsyncRead = 1UL << 0;
    public const ulong PosixLocks = 1UL << 1;
    public const ulong AtomicOTrunc = 1UL << 3;
    public const ulong ExportSupport = 1UL << 4;
    public const ulong BigWrites = 1UL << 5;
    public const ulong DontMask = 1UL << 6;
    public const ulong SpliceWrite = 1UL << 7;
    public const ulong SpliceMove = 1UL << 8;
    public const ulong SpliceRead = 1UL << 9;
    public const ulong FlockLocks = 1UL << 10;
    public const ulong AutoInvalData = 1UL << 12;
    public const ulong DoReaddirplus = 1UL << 13;
    public const ulong ReaddirplusAuto = 1UL << 14;
    public const ulong AsyncDio = 1UL << 15;
    public const ulong WritebackCache = 1UL << 16;
    public const ulong ParallelDirops = 1UL << 18;
    public const ulong HandleKillpriv = 1UL << 19;
    public const ulong PosixAcl = 1UL << 20;
    public const ulong AbortError = 1UL << 21;
    public const ulong MaxPages = 1UL << 22;
    public const ulong CacheSymlinks = 1UL << 23;
    public const ulong ExplicitInvalData = 1UL << 25;
    public const ulong HandleKillprivV2 = 1UL << 28;
    public const ulong SetxattrExt = 1UL << 29;
    public const ulong InitExt = 1UL << 30;
    public const ulong HasExpireOnly = 1UL << 35;
    public const ulong DirectIoAllowMmap = 1UL << 36;
    public const ulong Passthrough = 1UL << 37;
    public const ulong NoExportSupport = 1UL << 38;

    // fuse_open_out.open_flags
    public const uint FopenDirectIo = 1 << 0;
    public const uint FopenKeepCache = 1 << 1;
    public const uint FopenNonseekable = 1 << 2;
    public const uint FopenCacheDir = 1 << 3;
    public const uint FopenNoflush = 1 << 5;
    public const uint FopenParallelDirectWrites = 1 << 6;
    public const uint FopenPassthrough = 1 << 7;

    // fuse_setattr_in.valid
    public const uint FattrMode = 1 << 0;
    public const uint FattrUid = 1 << 1;
    public const uint FattrGid = 1 << 2;
    public const uint FattrSize = 1 << 3;
    public const uint FattrAtime = 1 << 4;
    public const uint FattrMtime = 1 << 5;
    public const uint FattrFh = 1 << 6;
    public const uint FattrAtimeNow = 1 << 7;
    public const uint FattrMtimeNow = 1 << 8;
    public const uint FattrLockowner = 1 << 9;
    public const uint FattrCtime = 1 << 10;
    public const uint FattrKillSuidgid = 1 << 11;

    public const uint GetattrFh = 1 << 0;
    public const uint FsyncFdatasync = 1 << 0;

    // /dev/fuse ioctls: _IOR(229, 0, uint32_t), _IOW(229, 1, struct fuse_backing_map), _IOW(229, 2, uint32_t)
    public const ulong DevIocClone = 0x8004E500;
    public const ulong DevIocBackingOpen = 0x4010E501;
    public const ulong DevIocBackingClose = 0x4004E502;

    /// <summary>Passthrough: backing files may themselves sit on a stacked file system (overlayfs) one level deep.</summary>
    public const uint MaxStackDepth = 2;
}
