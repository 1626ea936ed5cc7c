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
}
