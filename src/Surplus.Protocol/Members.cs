namespace Surplus.Protocol;

/// <summary>Joining the exchange.</summary>
/// <param name="Name">A name for the computer or its owner (1–100 characters).</param>
/// <param name="Address">The network address other parties use after a match (host, URL or IP).</param>
/// <param name="Attributes">What the computer is: os, speed, storage, network and any other named values.</param>
/// <param name="Preferences">Preferred counterparties and the optional webhook.</param>
public sealed record JoinRequest(
    string Name,
    string? Address = null,
    IReadOnlyDictionary<string, string>? Attributes = null,
    PreferencesDto? Preferences = null);

/// <summary>A member's preferences.</summary>
/// <param name="PreferredCounterparties">Members this one trades with; empty trades with everyone.</param>
/// <param name="WebhookUrl">Where signals are also posted (http or https), or null for none.</param>
/// <param name="WebhookSecret">The key of the HMAC-SHA256 signature on webhook posts (write-only).</param>
public sealed record PreferencesDto(
    IReadOnlyList<long>? PreferredCounterparties = null,
    string? WebhookUrl = null,
    string? WebhookSecret = null);

/// <summary>The answer to a join: the member and its API key, shown this once.</summary>
public sealed record JoinResponse(MemberDto Member, string ApiKey);

/// <summary>A member as the member itself (or the operator) sees it.</summary>
/// <param name="Id">The member's id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Address">The network address other parties get after a match.</param>
/// <param name="Attributes">What the computer is.</param>
/// <param name="PreferredCounterparties">Members this one trades with; empty trades with everyone.</param>
/// <param name="WebhookUrl">Where signals are also posted.</param>
/// <param name="Suspended">True while the operator has suspended it.</param>
/// <param name="JoinedAt">When it joined.</param>
/// <param name="CompletedContracts">Contracts it sold and was paid for.</param>
/// <param name="FailedContracts">Contracts it sold and did not serve (no-show or failed).</param>
/// <param name="Reliability">Completed ÷ (completed + failed), rounded down to four digits; null with no record yet.</param>
/// <param name="Pending">Waiting for the operator's approval (where the exchange requires it): it may read, not trade.</param>
public sealed record MemberDto(
    long Id,
    string Name,
    string? Address,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<long> PreferredCounterparties,
    string? WebhookUrl,
    bool Suspended,
    DateTimeOffset JoinedAt,
    long CompletedContracts = 0,
    long FailedContracts = 0,
    decimal? Reliability = null,
    bool Pending = false);

/// <summary>A change to one's own profile; fields left null stay as they are.</summary>
public sealed record UpdateMemberRequest(
    string? Name = null,
    string? Address = null,
    IReadOnlyDictionary<string, string>? Attributes = null,
    PreferencesDto? Preferences = null);
