using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Hive.Egress.Proxy;

/// <summary>The address a redirected connection was really for, from netfilter (SO_ORIGINAL_DST).</summary>
public static class OriginalDestination
{
    private const int SolIp = 0;
    private const int SoOriginalDst = 80;

    public static IPEndPoint? Get(Socket socket)
    {
        Span<byte> sockaddr = stackalloc byte[16];
        try
        {
            if (socket.GetRawSocketOption(SolIp, SoOriginalDst, sockaddr) < 8) return null;
        }
        catch (SocketException)
        {
            return null; // not a redirected connection
        }
        var port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
        return new IPEndPoint(new IPAddress(sockaddr.Slice(4, 4)), port);
    }
}
