using WechatGateway.Members;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Replies;

/// <summary>
/// What a reply's Liquid can read: <c>member</c> (nickname, tier, stage, points.balance, points.lifetime, phone_bound,
/// home_store_id), <c>message</c> (type, content, event, event_key, scene), <c>account</c> (app_id, name) and, in the
/// intro of a steer rule's invitation, <c>group</c> (name, store, reason).
/// Everything is a value: a nickname or a message holding <c>{{ }}</c> is printed as written.
/// </summary>
public sealed record ReplyModel(MemberView? Member, WechatPush? Push, string? AppId, string? AccountName, ReplyGroup? Group = null, ReplyExpiry? Expiry = null)
{
    /// <summary>The model templates are checked against when saved.</summary>
    public static readonly ReplyModel Sample = new(
        new MemberView("1", "Sample", null, 0, null, "basic", new PointsSummary(120, 300), MemberStage.Follower, false, null),
        new TextMessage { Content = "hello", MsgType = "text" }, "wx_sample", "Sample account",
        new ReplyGroup("Sample group", "Sample store", "nearest open group"),
        new ReplyExpiry(50, new DateTime(2026, 12, 31, 16, 0, 0, DateTimeKind.Utc)));

    public IEnumerable<(string Name, object? Value)> ToLiquid()
    {
        yield return ("member", Member is null
            ? new Dictionary<string, object?> { ["points"] = new Dictionary<string, object?> { ["balance"] = 0L, ["lifetime"] = 0L } }
            : new Dictionary<string, object?>
            {
                ["id"] = Member.MemberId,
                ["nickname"] = Member.Nickname,
                ["tier"] = Member.Tier,
                ["stage"] = Member.Stage,
                ["phone_bound"] = Member.PhoneBound,
                ["home_store_id"] = Member.HomeStoreId,
                ["points"] = new Dictionary<string, object?> { ["balance"] = Member.Points.Balance, ["lifetime"] = Member.Points.Lifetime },
            });
        yield return ("message", new Dictionary<string, object?>
        {
            ["type"] = Push?.MsgType,
            ["content"] = (Push as TextMessage)?.Content,
            ["event"] = (Push as WechatEvent)?.Event,
            ["event_key"] = (Push as WechatEvent)?.EventKey,
            ["scene"] = (Push as SubscribeEvent)?.Scene ?? (Push as ScanEvent)?.Scene,
        });
        yield return ("account", new Dictionary<string, object?> { ["app_id"] = AppId, ["name"] = AccountName });
        if (Group is not null)
        {
            yield return ("group", new Dictionary<string, object?> { ["name"] = Group.Name, ["store"] = Group.Store, ["reason"] = Group.Reason });
        }

        if (Expiry is not null)
        {
            yield return ("expiry", new Dictionary<string, object?> { ["points"] = Expiry.Points, ["expires_at"] = Expiry.ExpiresAt });
        }
    }
}

/// <summary>Points about to expire, as a points-expiry journey's message reads them (<c>expiry.points</c>, <c>expiry.expires_at</c>).</summary>
public sealed record ReplyExpiry(long Points, DateTime ExpiresAt);

/// <summary>The group a steer rule's invitation is for, as its intro's Liquid reads it.</summary>
public sealed record ReplyGroup(string Name, string Store, string Reason);
