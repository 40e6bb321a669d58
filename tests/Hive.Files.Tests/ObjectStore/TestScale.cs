namespace Hive.Files.Tests.ObjectStore;

/// <summary>
/// The sizes of the object-store tests whose full size takes many minutes against the emulators (each file is several
/// round trips to a Node server on the same two cores). `make test` runs them smaller, so CI stays in its budget;
/// `make test-long` (HIVE_TEST_LONG=1) runs them at the sizes issue 15 names: 10,000 files, 1 GB, a venv with pip.
/// </summary>
public static class TestScale
{
    public static bool Long => Environment.GetEnvironmentVariable("HIVE_TEST_LONG") == "1";

    /// <summary>
    /// How many small files: HIVE_TEST_SMALL_FILES when set, else 10,000 in the long run and 1,000 otherwise. On s3rver
    /// the long run makes 3,000: it answers every listing by walking its whole bucket directory, so each new name's
    /// lookup costs time in proportion to the files already there, and 10,000 did not finish in 15 minutes (a real S3
    /// lists by index; the mount's own cost per file is what the other stores show).
    /// </summary>
    public static int SmallFiles(string kind) =>
        int.TryParse(Environment.GetEnvironmentVariable("HIVE_TEST_SMALL_FILES"), out var n) && n > 0 ? n
        : !Long ? 1_000
        : kind == "s3" ? 3_000 : 10_000;

    /// <summary>The large file, in MiB: 1 GB in the long run; otherwise 256 MiB, still in parts and four times the test's cache.</summary>
    public static int LargeFileMiB => Long ? 1024 : 256;

    /// <summary>The venv: with pip (about 1,700 files) in the long run; otherwise without, which still makes its symlinks.</summary>
    public static string VenvArguments => Long ? "" : "--without-pip ";
}
