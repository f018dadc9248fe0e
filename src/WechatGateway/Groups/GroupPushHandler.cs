using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Processing;
using WechatGateway.Replies;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Groups;

/// <summary>
/// Steering as a stage of push processing: a follow or SCAN through a live code (scene <c>group:CODE</c>) invites the
/// member to the first group of the code's pool with a seat (or sends the fallback message); a LOCATION event is
/// remembered and, for a member without a group, steers to the nearest group at most once per
/// <see cref="GroupsOptions.LocationSteerIntervalDays"/>; a text or menu click that an auto-reply rule with the action
/// <c>steer</c> answers steers the member from their latest known location (or home store) and sends the invitation,
/// the rule's reply rendered as its intro, or the fallback message when no group is usable.
/// Everything is keyed by <c>push:{id}:group-invite</c>.
/// </summary>
public sealed class GroupPushHandler(
    GroupSteering steering, GroupInvitations invitations, ReplyRuleSet rules, MemberQueries members, IOptions<GroupsOptions> options, TimeProvider time) : IPushHandler
{
    public string Name => "groups";

    public async Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        if (work.Account.Options.Type != AccountType.OfficialAccount)
        {
            return;
        }

        var sourceKey = $"push:{work.PushId}:group-invite";
        var to = new GroupInvitations.Target(work.Account.AppId, work.Push.FromUserName, work.MemberId);
        switch (work.Push)
        {
            case SubscribeEvent { Scene: { } scene } when LiveCodes.TryParseScene(scene, out var code):
                await SteerThroughLiveCodeAsync(connection, transaction, work.Batch, sourceKey, to, code, SteerTriggers.Follow, ct);
                break;
            case ScanEvent scan when LiveCodes.TryParseScene(scan.Scene, out var code):
                await SteerThroughLiveCodeAsync(connection, transaction, work.Batch, sourceKey, to, code, SteerTriggers.Scan, ct);
                break;
            case LocationEvent { Latitude: { } lat, Longitude: { } lng } when GeoPoint.IsValid(lat, lng):
                var at = DateTimeOffset.FromUnixTimeSeconds(work.Push.CreateTime).UtcDateTime;
                var point = new GeoPoint(lat, lng);
                await GroupSteering.RememberLocationAsync(connection, transaction, work.MemberId, point, "location", at, ct);
                if (await work.Batch.OnceAsync("groups:any-open", () => AnyOpenGroupAsync(connection, transaction, ct))
                    && await ShouldSteerOnLocationAsync(connection, transaction, work.MemberId, ct)
                    && await steering.SteerAsync(connection, transaction, work.MemberId, new MemberOrigin(point, "location"), ct) is { } pick)
                {
                    await invitations.InviteAsync(connection, transaction, work.Batch, sourceKey, to, pick, SteerTriggers.Location, null, ct);
                }

                break;
            case TextMessage or ClickEvent when rules.Match(work.Push, work.Account.AppId, work.ReceivedAt) is { IsSteer: true } rule:
                await SteerThroughRuleAsync(work, connection, transaction, sourceKey, to, rule, ct);
                break;
        }
    }

    private async Task SteerThroughRuleAsync(PushWork work, MySqlConnection c, MySqlTransaction t, string sourceKey, GroupInvitations.Target to, AutoReplyRule rule, CancellationToken ct)
    {
        var trigger = work.Push is ClickEvent ? SteerTriggers.Menu : SteerTriggers.Keyword;
        var origin = await GroupSteering.OriginAsync(c, t, work.MemberId, ct);
        if (await steering.SteerAsync(c, t, work.MemberId, origin, ct) is not { } pick)
        {
            await invitations.FallbackAsync(c, t, work.Batch, sourceKey, to, trigger, null, null, ct);
            return;
        }

        string? intro = null;
        if (rule.Reply is { } reply)
        {
            var group = new ReplyGroup(pick.Group.Name, pick.Group.StoreName, pick.Reason);
            var model = new ReplyModel(await members.GetAsync(c, t, work.MemberId, ct), work.Push, work.Account.AppId, work.Account.Options.Name, group);
            intro = (await reply.RenderAsync(model)).Content;
        }

        await invitations.InviteAsync(c, t, work.Batch, sourceKey, to, pick, trigger, null, ct, intro);
    }

    private async Task SteerThroughLiveCodeAsync(MySqlConnection c, MySqlTransaction t, PushBatch batch, string sourceKey, GroupInvitations.Target to, string code, string trigger, CancellationToken ct)
    {
        const string sql = "SELECT id AS Id, fallback_message AS FallbackMessage FROM group_live_code WHERE app_id = @appId AND code = @code AND active = 1";
        var live = await c.QuerySingleOrDefaultAsync<(ulong Id, string? FallbackMessage)?>(new CommandDefinition(sql, new { appId = to.AppId, code }, t, cancellationToken: ct));
        var pick = live is { } l ? await steering.SteerPoolAsync(c, t, to.MemberId, l.Id, code, ct) : null;
        if (pick is not null)
        {
            await invitations.InviteAsync(c, t, batch, sourceKey, to, pick, trigger, live!.Value.Id, ct);
        }
        else
        {
            // An unknown or deactivated code, or a pool with no usable group: never silence.
            await invitations.FallbackAsync(c, t, batch, sourceKey, to, trigger, live?.Id, live?.FallbackMessage, ct);
        }
    }

    /// <summary>
    /// Whether any group could take a member at all (active, unexpired, a seat free, its store active): read once per
    /// batch, so that a brand with no groups yet, or with every group full, pays nothing per LOCATION event.
    /// </summary>
    private async Task<bool> AnyOpenGroupAsync(MySqlConnection c, MySqlTransaction t, CancellationToken ct)
    {
        const string sql = """
            SELECT EXISTS (SELECT 1 FROM community_group g JOIN store s ON s.id = g.store_id AND s.active = 1
                           WHERE g.active = 1 AND g.qr_expires_at > @now AND g.member_count < g.capacity)
            """;
        return await c.ExecuteScalarAsync<bool>(new CommandDefinition(sql, new { now = time.GetUtcNow().UtcDateTime }, t, cancellationToken: ct));
    }

    /// <summary>A member who has joined no group, and was not steered by a LOCATION event in the last N days.</summary>
    private async Task<bool> ShouldSteerOnLocationAsync(MySqlConnection c, MySqlTransaction t, ulong memberId, CancellationToken ct)
    {
        const string sql = """
            SELECT NOT EXISTS (SELECT 1 FROM group_member WHERE member_id = @memberId AND joined_at IS NOT NULL)
               AND NOT EXISTS (SELECT 1 FROM group_invitation WHERE member_id = @memberId AND `trigger` = 'location' AND created_at > @since)
            """;
        var since = time.GetUtcNow().UtcDateTime.AddDays(-options.Value.LocationSteerIntervalDays);
        return await c.ExecuteScalarAsync<bool>(new CommandDefinition(sql, new { memberId, since }, t, cancellationToken: ct));
    }
}
