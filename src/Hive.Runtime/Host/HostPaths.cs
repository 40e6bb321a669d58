namespace Hive.Runtime.Host;

/// <summary>Where the runtime keeps things under <c>$HIVE_HOME</c>.</summary>
public sealed class HostPaths(string home)
{
    public string Home { get; } = home;
    public string Images => Path.Combine(Home, "images");
    public string Volumes => Path.Combine(Home, "volumes");
    public string Sandboxes => Path.Combine(Home, "sandboxes");
    public string RuncRoot => Path.Combine(Home, "run", "runc");

    public string SandboxDir(string name) => Path.Combine(Sandboxes, name);
    public string Bundle(string name) => Path.Combine(SandboxDir(name), "bundle");
    public string RootFs(string name) => Path.Combine(Bundle(name), "rootfs");
    public string Upper(string name) => Path.Combine(SandboxDir(name), "upper");
    public string Work(string name) => Path.Combine(SandboxDir(name), "work");
    public string Log(string name) => Path.Combine(SandboxDir(name), "container.log");
    /// <summary>Where hive-init listens for the daemon (bound into the container, root-only).</summary>
    public string InitDir(string name) => Path.Combine(SandboxDir(name), "init");
    /// <summary>Anchor directories of a sandbox's FUSE mounts (bound into the container).</summary>
    public string MountAnchors(string name) => Path.Combine(SandboxDir(name), "mnt");
    /// <summary>The daemon-made files of a sandbox (resolv.conf, the CA...), bound read-only into the container.</summary>
    public string Files(string name) => Path.Combine(SandboxDir(name), "files");

    public string Volume(string volume) => Path.Combine(Volumes, volume);
}
