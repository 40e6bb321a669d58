namespace Hive.Host.Abstractions;

/// <summary>One entry of a directory listing of the files API.</summary>
/// <param name="Type"><c>file</c>, <c>dir</c>, <c>symlink</c> or <c>other</c>.</param>
public sealed record FileEntry(string Name, string Type, long Size, DateTimeOffset Mtime);

/// <summary>What reading a path gives: a regular file's bytes (the caller disposes the stream) or a directory's entries.</summary>
public sealed record FileRead(Stream? Content, IReadOnlyList<FileEntry>? Listing);
