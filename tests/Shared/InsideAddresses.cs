using System.Globalization;
using System.Net;
using CsCheck;

namespace Surplus.Tests.Shared;

/// <summary>
/// Inside addresses in every spelling a URL may carry them: each IPv4 special-purpose range in
/// dotted, integer, hex, octal and short forms, each embedded in every IPv6 form that can carry an
/// IPv4 address (IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64, 6to4, Teredo), and the
/// IPv6 inside ranges themselves. Shared by the fetcher's and the webhooks' tests, which must
/// refuse the same addresses.
/// </summary>
internal static class InsideAddresses
{
    /// <summary>The IPv4 ranges that are not public (network, prefix length).</summary>
    public static readonly (uint Network, int Prefix, string Name)[] V4Ranges =
    [
        (0x00000000, 8, "this network 0.0.0.0/8"),
        (0x0A000000, 8, "private 10/8"),
        (0x64400000, 10, "carrier-grade NAT 100.64/10"),
        (0x7F000000, 8, "loopback 127/8"),
        (0xA9FE0000, 16, "link-local 169.254/16"),
        (0xAC100000, 12, "private 172.16/12"),
        (0xC0000000, 24, "IETF 192.0.0/24"),
        (0xC0000200, 24, "documentation 192.0.2/24"),
        (0xC0A80000, 16, "private 192.168/16"),
        (0xC6120000, 15, "benchmarking 198.18/15"),
        (0xC6336400, 24, "documentation 198.51.100/24"),
        (0xCB007100, 24, "documentation 203.0.113/24"),
        (0xE0000000, 4, "multicast 224/4"),
        (0xF0000000, 4, "reserved 240/4 and broadcast"),
    ];

    /// <summary>Public IPv4 addresses, several just outside an inside range, that every form must let through.</summary>
    public static readonly uint[] PublicV4 =
    [
        0x08080808, // 8.8.8.8
        0x01010101, // 1.1.1.1
        0x5DB8D822, // 93.184.216.34
        0x01000000, // 1.0.0.0, just past 0/8
        0x0B000001, // 11.0.0.1
        0x64800001, // 100.128.0.1, just past CGNAT
        0x643FFFFF, // 100.63.255.255, just before CGNAT
        0x7E000001, // 126.0.0.1
        0x80000001, // 128.0.0.1
        0xA9FD0001, // 169.253.0.1
        0xAC200001, // 172.32.0.1
        0xAC0F0001, // 172.15.0.1
        0xC0A90001, // 192.169.0.1
        0xC6140001, // 198.20.0.1
        0xDFFFFFFE, // 223.255.255.254
    ];

    /// <summary>An inside IPv4 address with the name of its range.</summary>
    public static readonly Gen<(uint Address, string Range)> InsideV4 =
        Gen.Int[0, V4Ranges.Length - 1].SelectMany(i => Gen.UInt.Select(host =>
        {
            var (network, prefix, name) = V4Ranges[i];
            var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
            return ((network & mask) | (host & ~mask), name);
        }));

    /// <summary>IPv6 inside ranges in any spelling.</summary>
    public static readonly Gen<string> InsideV6 = Gen.OneOf(
        Gen.Const(V6(new byte[16])),                                                   // ::, unspecified
        Gen.Const(V6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),              // ::1, loopback
        Prefixed([0xFC], 7),                                                           // unique-local
        Prefixed([0xFE, 0x80], 10),                                                    // link-local
        Prefixed([0xFE, 0xC0], 10),                                                    // site-local
        Prefixed([0xFF], 8),                                                           // multicast
        Prefixed([0x20, 0x01, 0x0D, 0xB8], 32),                                        // documentation
        Prefixed([0x3F, 0xFF, 0x00], 20),                                                    // documentation
        Prefixed([0x20, 0x01, 0x00, 0x02, 0x00, 0x00], 48),                            // benchmarking
        Prefixed([0x01, 0x00, 0, 0, 0, 0, 0, 0], 64),                                  // discard
        Prefixed([0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01], 48));                           // local-use NAT64

    /// <summary>A URL host for an inside address: an IPv4 spelling, an IPv6 embedding of one, or an IPv6 inside range.</summary>
    public static readonly Gen<string> InsideHost = Gen.Frequency(
        (3, InsideV4.SelectMany(a => V4Spelling(a.Address))),
        (4, InsideV4.SelectMany(a => V6Embedding(a.Address, Gen.Int[0, PublicV4.Length - 1].Select(i => PublicV4[i])))),
        (2, InsideV6));

    /// <summary>A URL host for a public address: an IPv4 spelling or an IPv6 embedding of one.</summary>
    public static readonly Gen<string> PublicHost = Gen.Int[0, PublicV4.Length - 1].Select(i => PublicV4[i]).SelectMany(a => Gen.Frequency(
        (1, V4Spelling(a)),
        (1, PublicEmbedding(a))));

    /// <summary>Dotted decimal, a 32-bit integer in decimal, hex or octal, and the short forms <c>a.b.c</c> and <c>a.b</c>, each part in a random base.</summary>
    public static Gen<string> V4Spelling(uint a)
    {
        var b = new[] { a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF };
        return Gen.Int[0, 3].SelectMany(form => (form switch
        {
            0 => new[] { b[0], b[1], b[2], b[3] },
            1 => [b[0], b[1], a & 0xFFFF],
            2 => [b[0], a & 0xFF_FFFF],
            _ => [a],
        }) is var parts
            ? Gen.Int[0, 3].Array[parts.Length].Select(bases => string.Join('.', parts.Select((p, i) => Part(p, bases[i]))))
            : throw new InvalidOperationException());
    }

    private static string Part(uint value, int radix) => radix switch
    {
        1 => "0x" + value.ToString("x", CultureInfo.InvariantCulture),
        2 => "0X" + value.ToString("X", CultureInfo.InvariantCulture),
        3 => "0" + Convert.ToString(value, 8),
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The IPv4 address carried in each IPv6 form, the companion (6to4's site, Teredo's server) public.</summary>
    public static Gen<string> V6Embedding(uint a, Gen<uint> publicV4)
    {
        var v4 = Bytes(a);
        return Gen.Int[0, 6].SelectMany(form => form switch
        {
            0 => Spelled([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, .. v4]),                     // ::ffff:a.b.c.d, IPv4-mapped
            1 => Spelled([0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, .. v4]),                     // ::ffff:0:a.b.c.d, IPv4-translated
            2 => Spelled([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, .. v4]),                           // ::a.b.c.d, IPv4-compatible
            3 => Spelled([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0, .. v4]),               // 64:ff9b::a.b.c.d, NAT64
            4 => Gen.Byte.Array[10].SelectMany(rest => Spelled([0x20, 0x02, .. v4, .. rest])), // 2002:aabb:ccdd::, 6to4
            5 => Gen.Select(publicV4, Gen.Byte.Array[4]).SelectMany(t =>                    // Teredo, inside client (inverted)
                Spelled([0x20, 0x01, 0, 0, .. Bytes(t.Item1), .. t.Item2, .. Bytes(~a)])),
            _ => Gen.Select(publicV4, Gen.Byte.Array[4]).SelectMany(t =>                    // Teredo, inside server
                Spelled([0x20, 0x01, 0, 0, .. v4, .. t.Item2, .. Bytes(~t.Item1)])),
        });
    }

    private static Gen<string> PublicEmbedding(uint a)
    {
        var v4 = Bytes(a);
        return Gen.Int[0, 3].SelectMany(form => form switch
        {
            0 => Spelled([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, .. v4]),
            1 => Spelled([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0, .. v4]),
            2 => Gen.Byte.Array[10].SelectMany(rest => Spelled([0x20, 0x02, .. v4, .. rest])),
            _ => Gen.Byte.Array[4].SelectMany(flags => Spelled([0x20, 0x01, 0, 0, .. Bytes(0x41424344), .. flags, .. Bytes(~a)])),
        });
    }

    private static Gen<string> Prefixed(byte[] prefix, int bits) => Gen.Byte.Array[16].SelectMany(random =>
    {
        var b = (byte[])random.Clone();
        for (var i = 0; i < bits; i++)
        {
            var bit = (prefix[i / 8] >> (7 - (i % 8))) & 1;
            b[i / 8] = (byte)((b[i / 8] & ~(1 << (7 - (i % 8)))) | (bit << (7 - (i % 8))));
        }

        return Spelled(b);
    });

    /// <summary>
    /// Sixteen bytes as an IPv6 literal: compressed (as .NET writes it), in full hex groups, in
    /// full with the last 32 bits as a dotted IPv4 tail, or upper case.
    /// </summary>
    private static Gen<string> Spelled(byte[] b) => Gen.Int[0, 3].Select(style => style switch
    {
        0 => V6(b),
        1 => "[" + string.Join(':', Groups(b)) + "]",
        2 => "[" + string.Join(':', Groups(b)[..6]) + $":{b[12]}.{b[13]}.{b[14]}.{b[15]}]",
        _ => V6(b).ToUpperInvariant(),
    });

    private static string V6(byte[] b) => "[" + new IPAddress(b) + "]";

    private static string[] Groups(byte[] b) =>
        [.. Enumerable.Range(0, b.Length / 2).Select(i => ((b[2 * i] << 8) | b[(2 * i) + 1]).ToString("x", CultureInfo.InvariantCulture))];

    private static byte[] Bytes(uint a) => [(byte)(a >> 24), (byte)(a >> 16), (byte)(a >> 8), (byte)a];
}
