using System.Net;
using System.Net.Sockets;

namespace Surplus.Contracts;

/// <summary>Which addresses the exchange (webhooks) and an agent (fetches) may connect to: public ones only, unless private ones are allowed.</summary>
public static class AddressRules
{
    /// <summary>True for loopback, private (RFC 1918, unique-local), link-local, carrier-grade NAT, unspecified, multicast and broadcast addresses.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,
                100 => b[1] is >= 64 and <= 127,   // 100.64.0.0/10, carrier-grade NAT
                169 => b[1] == 254,                // link-local (cloud metadata lives here)
                172 => b[1] is >= 16 and <= 31,
                192 => b[1] == 168 || (b[1] == 0 && b[2] == 0),
                >= 224 => true,                    // multicast, reserved, broadcast
                _ => false,
            };
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xfe) == 0xfc; // fc00::/7, unique-local
        }

        return true;
    }

    /// <summary>
    /// Connects to <paramref name="endPoint"/> for an HTTP client (a <c>SocketsHttpHandler.ConnectCallback</c>):
    /// the host's addresses are resolved and checked, and only checked addresses are connected to,
    /// so a name that answers differently between the check and the connection gains nothing.
    /// <paramref name="refuse"/> makes the exception for a refused host from the reason.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, bool allowPrivate, Func<string, Exception> refuse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(refuse);
        var host = endPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw refuse($"{host} has no address");
        }

        if (!allowPrivate && addresses.FirstOrDefault(IsPrivate) is { } inside)
        {
            throw refuse($"{host} resolves to {inside}, a private, loopback or link-local address");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
