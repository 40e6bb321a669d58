// Hive runs sandboxes with runc, namespaces and nftables: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
