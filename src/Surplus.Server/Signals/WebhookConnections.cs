using Surplus.Protocol;

namespace Surplus.Server.Signals;

/// <summary>
/// Where webhook posts may go. A member names the URL, so without a rule a member could make the
/// exchange post into the operator's own network (its database, a cloud metadata service): the
/// host's addresses are resolved and checked when the connection is made, and only a checked
/// address is connected to, so a name that changes its answer between check and use gains nothing.
/// </summary>
internal static class WebhookConnections
{
    /// <summary>What is wrong with a webhook URL before any post, or null: a literal private, loopback or link-local address, or <c>localhost</c>.</summary>
    public static Refused? Problem(Uri url, bool allowPrivate)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (allowPrivate)
        {
            return null;
        }

        return AddressRules.IsPrivateHost(url)
            ? RefusalMessages.WebhookPrivate.With(("url", url.ToString()))
            : null;
    }

    /// <summary>A connect callback for the webhook client that refuses non-public addresses unless they are allowed.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connect(bool allowPrivate) => (context, cancellationToken) =>
        AddressRules.ConnectAsync(context.DnsEndPoint, allowPrivate,
            reason => new HttpRequestException($"{reason}; webhooks are posted to public addresses only"), cancellationToken);
}
