namespace Hive.Runtime.Images;

/// <summary>An archive could not be imported: malformed, incomplete or hostile. The message names the entry.</summary>
public sealed class ImageImportException : Exception
{
    public ImageImportException(string message) : base(message)
    {
    }

    public ImageImportException(string message, Exception inner) : base(message, inner)
    {
    }
}
