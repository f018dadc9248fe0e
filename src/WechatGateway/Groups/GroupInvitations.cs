using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Members;
using WechatGateway.Processing;
using WechatGateway.Push;

namespace WechatGateway.Groups;

/// <summary>Why steering ran: the trigger stored with each invitation, for conversion per channel.</summary>
public static class SteerTriggers
{
    public const string Follow = "follow";
    public const string Scan = "scan";
    public const string Location = "location";

    /// <summary>A text matched by an auto-reply rule with the action <c>steer</c>.</summary>
    public const string Keyword = "keyword";

    /// <summary>A menu click matched by an auto-reply rule with the action <c>steer</c>.</summary>
    public const string Menu = "menu";
}

public static class InvitationStatus
{
    /// <summary>The messages are in the send outbox (one send per message), delivered by the queue.</summary>
    public const string Queued = "queued";

    /// <summary>No group was usable: the fallback message was built instead.</summary>
    public const string Fallback = "fallback";
}

/// <summary>
/// The invitation: an intro text and the group's QR code (an image message for a media id, a one-article news message
/// for an image URL), as WeChat customer-service bodies, added to the push-processing batch's sends (written before
/// its commit) and recorded once per cause. Two messages, so an invitation fits WeChat's 3 customer-service messages in the minute
/// after a follow or scan; the queue enforces that limit when it sends.
/// </summary>
public sealed class GroupInvitations(MemberStore members, SendOutbox outbox, IOptions<GroupsOptions> options, TimeProvider time)
{
    public sealed record Target(string AppId, string OpenId, ulong MemberId);

    /// <summary>Erasure (<see cref="MemberTables"/>): the bodies an invitation queued may carry the member's nickname.</summary>
    public static readonly MemberSql EraseMessages = new("UPDATE group_invitation SET messages = '[]' WHERE member_id = @memberId");

    /// <param name="intro">The intro text to send instead of the group's own (or <see cref="GroupsOptions.InviteText"/>): a steer rule's rendered reply.</param>
    public async Task InviteAsync(
        MySqlConnection c, MySqlTransaction t, PushBatch batch, string sourceKey, Target to, Recommendation pick, string trigger, ulong? liveCodeId, CancellationToken ct, string? intro = null)
    {
        var g = pick.Group;
        intro = string.IsNullOrWhiteSpace(intro)
            ? (string.IsNullOrWhiteSpace(g.Intro) ? options.Value.InviteText : g.Intro)
                .Replace("{group}", g.Name, StringComparison.Ordinal)
                .Replace("{store}", g.StoreName, StringComparison.Ordinal)
            : intro;
        var qr = g.QrMediaId is { Length: > 0 } mediaId
            ? JsonSerializer.Serialize(new { touser = to.OpenId, msgtype = "image", image = new { media_id = mediaId } })
            : JsonSerializer.Serialize(new { touser = to.OpenId, msgtype = "news", news = new { articles = new[] { new { title = g.Name, description = intro, url = g.QrImageUrl, picurl = g.QrImageUrl } } } });
        string[] messages = [Text(to.OpenId, intro), qr];
        await RecordAsync(c, t, batch, sourceKey, to, g.GroupId, g.StoreId, liveCodeId, trigger, pick.Reason, pick.DistanceKm, InvitationStatus.Queued, messages, ct);
        await members.AddTimelineAsync(c, t, to.MemberId, "group-invite", $"invited to group {g.Name} ({g.StoreName}): {pick.Reason}", to.AppId, $"{sourceKey}", ct);
    }

    /// <summary>A live code or steer rule with no usable group still answers: the member is told, never left in silence.</summary>
    public async Task FallbackAsync(MySqlConnection c, MySqlTransaction t, PushBatch batch, string sourceKey, Target to, string trigger, ulong? liveCodeId, string? message, CancellationToken ct)
    {
        var text = string.IsNullOrWhiteSpace(message) ? options.Value.FallbackMessage : message;
        var reason = trigger is SteerTriggers.Keyword or SteerTriggers.Menu ? "no usable group" : "no usable group in the live code's pool";
        await RecordAsync(c, t, batch, sourceKey, to, null, null, liveCodeId, trigger, reason, null, InvitationStatus.Fallback, [Text(to.OpenId, text)], ct);
    }

    private async Task RecordAsync(
        MySqlConnection c, MySqlTransaction t, PushBatch batch, string sourceKey, Target to, ulong? groupId, ulong? storeId, ulong? liveCodeId,
        string trigger, string reason, double? distanceKm, string status, string[] messages, CancellationToken ct)
    {
        // Written with the batch's other sends before its commit; the relay is woken after it.
        for (var i = 0; i < messages.Length; i++)
        {
            outbox.Add(batch, new OutboundMessage(to.AppId, to.OpenId, to.MemberId, SendKind.Custom, messages[i], $"{sourceKey}:{i + 1}"));
        }

        const string sql = """
            INSERT IGNORE INTO group_invitation
                (source_key, member_id, app_id, open_id, group_id, store_id, live_code_id, `trigger`, reason, distance_km, status, messages, created_at)
            VALUES (@sourceKey, @memberId, @appId, @openId, @groupId, @storeId, @liveCodeId, @trigger, @reason, @distanceKm, @status, @messages, @now)
            """;
        await c.ExecuteAsync(new CommandDefinition(sql, new
        {
            sourceKey,
            memberId = to.MemberId,
            appId = to.AppId,
            openId = to.OpenId,
            groupId,
            storeId,
            liveCodeId,
            trigger,
            reason = reason.Length > 300 ? reason[..300] : reason,
            distanceKm,
            status,
            messages = JsonSerializer.Serialize(messages),
            now = time.GetUtcNow().UtcDateTime,
        }, t, cancellationToken: ct));
    }

    private static string Text(string openId, string content) =>
        JsonSerializer.Serialize(new { touser = openId, msgtype = "text", text = new { content } });
}
