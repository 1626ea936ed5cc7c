using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Surplus.Protocol;

namespace Surplus.LoadGenerator;

/// <summary>
/// One request, serialized before the clock starts so the generator spends little CPU while
/// measuring: one order, or a batch of <paramref name="Items"/> orders of one member; its orders
/// are numbers <paramref name="First"/> onwards of the run.
/// </summary>
internal sealed record Order(string Path, byte[] Body, string Authorization, string IdempotencyKey, int First = 0, int Items = 1);

/// <summary>
/// Members and the orders they send. Sellers post standing offers on the compute market; buyers
/// post needs that cross them (bid above every ask), over a few hour-long windows aligned to the
/// minute and starting a few minutes ahead. Supply and demand balance (one offer of rate 30 over
/// the hour for four needs of rate 10 over three quarters of an hour on average), so most needs
/// trade on arrival, offers that arrive while needs wait trade as well, and the book stays small
/// instead of growing for the whole run.
/// </summary>
internal sealed class OrderFlow
{
    private const string Market = "compute";
    private const int Windows = 8;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly string[] sellers;
    private readonly string[] buyers;

    private OrderFlow(string[] sellers, string[] buyers)
    {
        this.sellers = sellers;
        this.buyers = buyers;
    }

    /// <summary>Joins the sellers and buyers and gives every buyer money enough for the whole run.</summary>
    public static async Task<OrderFlow> JoinAsync(HttpClient http, Uri exchange, int perSide)
    {
        async Task<JoinResponse> Join(string name)
        {
            using var response = await http.PostAsJsonAsync(new Uri(exchange, "/v1/members"), new JoinRequest(name, $"{name}.load.example:7000"), Json);
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<JoinResponse>(Json))!;
        }

        var sellers = new string[perSide];
        var buyers = new string[perSide];
        for (var i = 0; i < perSide; i++)
        {
            sellers[i] = "Bearer " + (await Join($"seller-{i}")).ApiKey;
            var buyer = await Join($"buyer-{i}");
            buyers[i] = "Bearer " + buyer.ApiKey;
            using var deposit = new HttpRequestMessage(HttpMethod.Post, new Uri(exchange, $"/v1/admin/members/{buyer.Member.Id}/deposit"))
            {
                Content = JsonContent.Create(new DepositRequest(1_000_000_000_000, "load generator"), options: Json),
            };
            deposit.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ExchangeUnderTest.AdminKey);
            using var answer = await http.SendAsync(deposit);
            answer.EnsureSuccessStatusCode();
        }

        return new OrderFlow(sellers, buyers);
    }

    /// <summary>
    /// <paramref name="count"/> orders, one in five an offer. Windows start at the first whole
    /// minute at least five minutes after <paramref name="now"/>, so a run has minutes before
    /// any of its windows starts.
    /// </summary>
    public Order[] Build(int count, string run, DateTimeOffset now, int seed, int batch = 1)
    {
        var random = new Random(seed);
        var minute = TimeSpan.TicksPerMinute;
        var first = new DateTimeOffset((now.UtcTicks / minute + 6) * minute, TimeSpan.Zero);
        if (batch <= 1)
        {
            var orders = new Order[count];
            for (var i = 0; i < count; i++)
            {
                var (offer, need, member) = Draw(random, first);
                orders[i] = offer is not null
                    ? new Order("/v1/offers", JsonSerializer.SerializeToUtf8Bytes(offer, Json), member, $"{run}-{i}", i)
                    : new Order("/v1/needs", JsonSerializer.SerializeToUtf8Bytes(need, Json), member, $"{run}-{i}", i);
            }

            return orders;
        }

        // A batch is one member's: a seller's offers or a buyer's needs, every fifth batch offers.
        // In turn rather than drawn: drawn, the surplus of one side walked at random in steps of a
        // whole batch, and about one run in eight ended with thousands of needs resting, which every
        // order then had to pass (the engine at 94 µs per command instead of 20).
        var requests = new List<Order>();
        for (var i = 0; i < count; i += batch)
        {
            var size = Math.Min(batch, count - i);
            var offers = i / batch % 5 == 0;
            var items = new BatchOrderItem[size];
            for (var j = 0; j < size; j++)
            {
                items[j] = offers ? new BatchOrderItem(Offer: Offer(random, first)) : new BatchOrderItem(Need: Need(random, first));
            }

            var member = offers ? sellers[random.Next(sellers.Length)] : buyers[random.Next(buyers.Length)];
            requests.Add(new Order("/v1/orders/batch", JsonSerializer.SerializeToUtf8Bytes(new BatchOrdersRequest(items), Json), member, $"{run}-{i}", i, size));
        }

        return [.. requests];
    }

    private (PlaceOfferRequest? Offer, PlaceNeedRequest? Need, string Member) Draw(Random random, DateTimeOffset first) =>
        random.Next(5) == 0
            ? (Offer(random, first), null, sellers[random.Next(sellers.Length)])
            : (null, Need(random, first), buyers[random.Next(buyers.Length)]);

    private static PlaceOfferRequest Offer(Random random, DateTimeOffset first)
    {
        var start = first.AddHours(random.Next(Windows));
        var ask = 10.00m + (random.Next(5) * 0.01m);
        return new PlaceOfferRequest(Market, 30, ask, start, start.AddHours(1));
    }

    private static PlaceNeedRequest Need(Random random, DateTimeOffset first)
    {
        var start = first.AddHours(random.Next(Windows));

        // Half the needs take the whole hour, half one of its halves: the offers' capacity over
        // time is then uneven, as it is in a real book.
        var (from, to) = random.Next(4) switch
        {
            0 => (start, start.AddMinutes(30)),
            1 => (start.AddMinutes(30), start.AddHours(1)),
            _ => (start, start.AddHours(1)),
        };
        return new PlaceNeedRequest(Market, 10, from, to, 12.00m);
    }
}
