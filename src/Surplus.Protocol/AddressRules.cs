using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Surplus.Protocol;

/// <summary>
/// Which addresses the exchange (webhooks) and an agent (fetches) may connect to: public ones only,
/// unless private ones are allowed. One rule for both, so a spelling that one side catches cannot
/// pass the other. IPv4 is refused by the special-purpose ranges of the IANA registry; IPv6 is
/// allowed only inside global unicast (<c>2000::/3</c>), and every form that carries an IPv4
/// address (IPv4-mapped, NAT64, 6to4, Teredo) is judged by the IPv4 address it carries, since the
/// network may deliver it there. Stateless and thread-safe.
/// </summary>
public static class AddressRules
{
    /// <summary>
    /// True for every address that is not on the public internet: loopback, unspecified, private
    /// (RFC 1918, unique-local), link-local, carrier-grade NAT, multicast, broadcast, reserved,
    /// documentation and benchmarking ranges, and every IPv6 form that embeds such an IPv4 address.
    /// </summary>
    public static bool IsPrivate(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsPrivateV4(V4(address)),
            AddressFamily.InterNetworkV6 => IsPrivateV6(address.GetAddressBytes()),
            _ => true,
        };
    }

    /// <summary>
    /// True when a URL's host is a literal address that <see cref="IsPrivate"/> refuses, or a
    /// loopback name (<c>localhost</c> and its subdomains). Any IPv4 spelling a URL parser accepts
    /// (<c>2130706433</c>, <c>0x7f.1</c>, <c>0177.0.0.1</c>, <c>127.1</c>) is read as the address it
    /// means. Names are not resolved here: <see cref="ConnectAsync"/> checks what they resolve to.
    /// </summary>
    public static bool IsPrivateHost(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.IsLoopback)
        {
            return true;
        }

        var host = url.IdnHost.TrimEnd('.');
        return IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? IsPrivate(literal)
            : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }

    private static uint V4(IPAddress address)
    {
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    private static bool In(uint address, uint network, int prefix) =>
        prefix == 0 || (address >> (32 - prefix)) == (network >> (32 - prefix));

    private static bool IsPrivateV4(uint a) =>
        In(a, 0x00000000, 8)        // 0.0.0.0/8, "this network"
        || In(a, 0x0A000000, 8)     // 10.0.0.0/8
        || In(a, 0x64400000, 10)    // 100.64.0.0/10, carrier-grade NAT
        || In(a, 0x7F000000, 8)     // 127.0.0.0/8, loopback
        || In(a, 0xA9FE0000, 16)    // 169.254.0.0/16, link-local (cloud metadata lives here)
        || In(a, 0xAC100000, 12)    // 172.16.0.0/12
        || In(a, 0xC0000000, 24)    // 192.0.0.0/24, IETF protocol assignments
        || In(a, 0xC0000200, 24)    // 192.0.2.0/24, documentation
        || In(a, 0xC0586300, 24)    // 192.88.99.0/24, 6to4 relay anycast
        || In(a, 0xC0A80000, 16)    // 192.168.0.0/16
        || In(a, 0xC6120000, 15)    // 198.18.0.0/15, benchmarking
        || In(a, 0xC6336400, 24)    // 198.51.100.0/24, documentation
        || In(a, 0xCB007100, 24)    // 203.0.113.0/24, documentation
        || In(a, 0xE0000000, 3);    // 224.0.0.0/4 multicast, 240.0.0.0/4 reserved, 255.255.255.255

    private static bool IsPrivateV6(byte[] b)
    {
        var hi = BinaryPrimitives.ReadUInt64BigEndian(b);
        var lo = BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(8));
        var last = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(12));

        // ::ffff:0:0/96, IPv4-mapped: a dual-stack socket connects to the IPv4 address itself.
        if (hi == 0 && lo >> 32 == 0xFFFF)
        {
            return IsPrivateV4(last);
        }

        // 64:ff9b::/96, the well-known NAT64 prefix: a translator forwards to the embedded IPv4 address.
        if (hi == 0x0064_FF9B_0000_0000 && lo >> 32 == 0)
        {
            return IsPrivateV4(last);
        }

        // 2002::/16, 6to4: the relay tunnels to the IPv4 address in bits 16..47.
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsPrivateV4(BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(2)));
        }

        // 2001::/32, Teredo: the server's IPv4 address in bits 32..63, the client's inverted in the last 32 bits.
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        {
            return IsPrivateV4(BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(4))) || IsPrivateV4(~last);
        }

        // Everything outside global unicast is inside: ::/128, ::1, the IPv4-compatible ::/96 and
        // IPv4-translated ::ffff:0:0:0/96 forms, the local-use NAT64 64:ff9b:1::/48, discard
        // 100::/64, unique-local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast ff00::/8.
        return (b[0] & 0xE0) != 0x20 || IsPrivateV6Global(b);
    }

    /// <summary>The ranges inside global unicast that are not public.</summary>
    private static bool IsPrivateV6Global(byte[] b) =>
        (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02)                  // 2001::/23, IETF protocol assignments (benchmarking, ORCHID, …)
        || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) // 2001:db8::/32, documentation
        || (b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0);       // 3fff::/20, documentation

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
