namespace Hive.Runtime.Images;

/// <summary>An image build failed; the message says why and, for debootstrap, ends with its last lines of output.</summary>
public sealed class ImageBuildException : Exception
{
    public ImageBuildException(string message) : base(message)
    {
    }

    public ImageBuildException(string message, Exception inner) : base(message, inner)
    {
    }
}
