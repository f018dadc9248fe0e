using Dapper;
using MySqlConnector;
using WechatGateway.Groups;
using WechatGateway.Processing;
using WechatGateway.Replies;
using WechatGateway.Stores;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Profile;

/// <summary>
/// The consumer profile from what a member does: the tags of the auto-reply rule that answers its push (a keyword, a
/// menu click, a QR scene), the tags of a live code it follows or scans, and its city and district from its location
/// (the nearest store's). Points rules tag in their own handler, where they are matched. Tags are added once however
/// often a push is processed (<see cref="MemberTags"/>); the location is set, not added.
/// </summary>
public sealed class ProfilePushHandler(ReplyRuleSet rules, StoreLocations locations, TimeProvider time) : IPushHandler
{
    public string Name => "profile";

    public async Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        var at = time.GetUtcNow().UtcDateTime;
        if (rules.Match(work.Push, work.Account.AppId, work.ReceivedAt) is { View.Tags: { Count: > 0 } ruleTags })
        {
            MemberTags.Add(work.Batch, work.MemberId, ruleTags, TagSource.Rule, at);
        }

        switch (work.Push)
        {
            case SubscribeEvent { Scene: { } scene } when LiveCodes.TryParseScene(scene, out var code):
                await TagLiveCodeAsync(work, connection, transaction, code, at, ct);
                break;
            case ScanEvent scan when LiveCodes.TryParseScene(scan.Scene, out var code):
                await TagLiveCodeAsync(work, connection, transaction, code, at, ct);
                break;
            case LocationEvent { Latitude: { } lat, Longitude: { } lng } when GeoPoint.IsValid(lat, lng):
                await LocateAsync(work, connection, transaction, new GeoPoint(lat, lng), ct);
                break;
            case LocationMessage { Latitude: { } lat, Longitude: { } lng } when GeoPoint.IsValid(lat, lng):
                await LocateAsync(work, connection, transaction, new GeoPoint(lat, lng), ct);
                break;
        }
    }

    private static async Task TagLiveCodeAsync(PushWork work, MySqlConnection c, MySqlTransaction t, string code, DateTime at, CancellationToken ct)
    {
        const string sql = "SELECT tags FROM group_live_code WHERE app_id = @appId AND code = @code";
        var json = await work.Batch.OnceAsync(("live-code-tags", work.Account.AppId, code), async () =>
            await c.QuerySingleOrDefaultAsync<string>(new CommandDefinition(sql, new { appId = work.Account.AppId, code }, t, cancellationToken: ct)) ?? "[]");
        MemberTags.Add(work.Batch, work.MemberId, System.Text.Json.JsonSerializer.Deserialize<List<string>>(json) ?? [], TagSource.Scan, at);
    }

    /// <summary>The member's city and district become its nearest active store's.</summary>
    private async Task LocateAsync(PushWork work, MySqlConnection c, MySqlTransaction t, GeoPoint point, CancellationToken ct)
    {
        var stores = await work.Batch.OnceAsync(typeof(StoreLocations), async () =>
            await c.ExecuteScalarAsync<long>(new CommandDefinition(StoreLocations.VersionSql, transaction: t, cancellationToken: ct)) == locations.Current.Version
                ? locations.Current
                : await locations.LoadAsync(c, t, ct));
        if (stores.ByDistance(point).Select(s => (ulong?)s.Id).FirstOrDefault() is not { } nearest)
        {
            return;
        }

        const string sql = "UPDATE member m JOIN store s ON s.id = @nearest SET m.city = s.city, m.district = s.district WHERE m.id = @memberId";
        await c.ExecuteAsync(new CommandDefinition(sql, new { nearest, memberId = work.MemberId }, t, cancellationToken: ct));
    }
}
