using Dapper;
using MySqlConnector;

namespace WechatGateway.Push;

/// <summary>Where a notification to a member goes, or why it goes nowhere.</summary>
/// <param name="AppId">The official account, or null when there is none to send through.</param>
/// <param name="Kind">Customer-service (within an open window) or template (a follower, a template configured); null: skipped.</param>
/// <param name="SkipReason">Why nothing is sent, for the record operators read.</param>
public sealed record ChannelChoice(string? AppId, string? OpenId, SendKind? Kind, string? SkipReason)
{
    public static ChannelChoice Skip(string reason, string? appId = null, string? openId = null) => new(appId, openId, null, reason);
}

/// <summary>
/// WeChat's rules for a notification the member did not ask for just now (a survey, a reminder), applied before it
/// is queued: a customer-service message only while the follower's 48-hour window is open with messages left, a
/// template message only to a follower of the account, and otherwise nothing, with the reason recorded. A window
/// that is not on record counts as closed: unlike a reply, such a send has no interaction behind it.
/// </summary>
public sealed class FollowerChannel(CustomerServiceWindow window)
{
    /// <summary>
    /// Chooses for <paramref name="memberId"/>, through <paramref name="preferredAppId"/> when the member follows it,
    /// else the account the member followed last; <paramref name="templateOf"/> gives an account's template id, if any.
    /// </summary>
    public async Task<ChannelChoice> ChooseAsync(MySqlConnection c, ulong memberId, string? preferredAppId, Func<string, string?> templateOf, DateTime now, CancellationToken ct)
    {
        const string sql = """
            SELECT app_id AS AppId, open_id AS OpenId, subscribed AS Subscribed FROM member_follow
            WHERE member_id = @memberId
            ORDER BY subscribed DESC, app_id = @preferredAppId DESC, subscribed_at DESC LIMIT 1
            """;
        var follow = await c.QuerySingleOrDefaultAsync<Follow>(new CommandDefinition(sql, new { memberId, preferredAppId = preferredAppId ?? "" }, cancellationToken: ct));
        if (follow is null)
        {
            return ChannelChoice.Skip("the member follows no official account");
        }

        if (!follow.Subscribed)
        {
            return ChannelChoice.Skip("the member no longer follows the official account", follow.AppId, follow.OpenId);
        }

        if (await window.PeekAsync(follow.AppId, follow.OpenId, now) is WindowDecision.Message or WindowDecision.Event)
        {
            return new ChannelChoice(follow.AppId, follow.OpenId, SendKind.Custom, null);
        }

        return templateOf(follow.AppId) is null
            ? ChannelChoice.Skip("the customer-service window is closed and the account has no template for this message", follow.AppId, follow.OpenId)
            : new ChannelChoice(follow.AppId, follow.OpenId, SendKind.Template, null);
    }

    private sealed record Follow(string AppId, string OpenId, bool Subscribed);
}
