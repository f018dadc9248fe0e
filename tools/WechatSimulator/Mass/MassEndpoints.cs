using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Accounts;
using WechatSimulator.Wechat;

namespace WechatSimulator.Mass;

/// <summary>The answer of sendall / send / preview: <c>{"errcode":0,"errmsg":"send job submission success","msg_id","msg_data_id"}</c>; 45065 carries the earlier send's msg_id.</summary>
public sealed record MassSendResponse(
    [property: JsonPropertyName("errcode")] int ErrCode,
    [property: JsonPropertyName("errmsg")] string ErrMsg,
    [property: JsonPropertyName("msg_id")] long MsgId,
    [property: JsonPropertyName("msg_data_id")] long? MsgDataId = null);

/// <summary><c>message/mass/get</c>: <c>{"msg_id","msg_status":"SEND_SUCCESS"}</c>.</summary>
public sealed record MassStatusResponse(
    [property: JsonPropertyName("msg_id")] long MsgId,
    [property: JsonPropertyName("msg_status")] string MsgStatus);

/// <summary>群发: to every follower or a tag (<c>sendall</c>), to an OpenID list (<c>send</c>), a preview, and the status.</summary>
public static class MassEndpoints
{
    public const string SendAll = "message/mass/sendall";
    public const string Send = "message/mass/send";
    public const string Preview = "message/mass/preview";
    public const string Get = "message/mass/get";

    /// <summary>An OpenID list holds 2 to 10,000 followers; a clientmsgid at most 64 characters.</summary>
    public const int MaxOpenIds = 10_000;

    public const int MaxClientMsgIdLength = 64;

    private static readonly string[] MsgTypes = ["text", "image", "mpnews", "voice", "mpvideo", "wxcard"];

    public static void MapMass(this IEndpointRouteBuilder app)
    {
        app.MapPost("/cgi-bin/" + SendAll, SendAllAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + Send, SendAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + Preview, PreviewAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + Get, GetAsync).WithTags("WeChat");
        app.MapGet("/_sim/mass", (string? appid, SimulatorState state) => TypedResults.Ok(state.Mass.List(appid))).WithTags("Simulator");
    }

    /// <summary><c>{"filter":{"is_to_all":true|false,"tag_id"},"msgtype",...,"clientmsgid"}</c>; a tag the account does not have is 40050.</summary>
    public static async Task<Results<Ok<MassSendResponse>, Ok<WechatStatus>>> SendAllAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, SendAll, ct);
        if ((error ?? CheckMessage(state, appId, body)) is { } refused)
        {
            return TypedResults.Ok(refused);
        }

        var filter = body.TryGetProperty("filter", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
        int? tagId = null;
        if (filter.ValueKind != JsonValueKind.Object || !filter.GetBoolean("is_to_all"))
        {
            if (filter.ValueKind != JsonValueKind.Object || !filter.TryGetProperty("tag_id", out var t) || !t.TryGetInt32(out var id) || !state.Users.TagExists(appId!, id))
            {
                return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidGroupId));
            }

            tagId = id;
        }

        var audience = state.Users.Subscribed(appId!, tagId);
        return Submit(state, appId!, SendAll, body, audience.Count, audience);
    }

    /// <summary><c>{"touser":[2..10000 OpenIDs],"msgtype",...,"clientmsgid"}</c>; service accounts only (48001 for a subscription account).</summary>
    public static async Task<Results<Ok<MassSendResponse>, Ok<WechatStatus>>> SendAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, Send, ct);
        if ((error ?? CheckMessage(state, appId, body)) is { } refused)
        {
            return TypedResults.Ok(refused);
        }

        if (IsSubscriptionAccount(state, appId!))
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.ApiUnauthorized));
        }

        if (!body.TryGetProperty("touser", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is < 2 or > MaxOpenIds)
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidOpenIdListSize));
        }

        var addressed = list.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.String ? o.GetString() ?? "" : "").Distinct(StringComparer.Ordinal).ToList();
        var audience = addressed.Where(o => state.Users.Find(appId!, o) is { Subscribed: true }).ToList();
        return Submit(state, appId!, Send, body, list.GetArrayLength(), audience);
    }

    /// <summary><c>{"touser":"OPENID","msgtype",...}</c>: one follower sees the message as the mass send will look; counts toward no limit.</summary>
    public static async Task<Results<Ok<MassSendResponse>, Ok<WechatStatus>>> PreviewAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, Preview, ct);
        if ((error ?? CheckMessage(state, appId, body)) is { } refused)
        {
            return TypedResults.Ok(refused);
        }

        var toUser = body.GetString("touser");
        if (string.IsNullOrEmpty(toUser) || state.Users.Find(appId!, toUser) is not { Subscribed: true })
        {
            return TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidOpenId));
        }

        state.Messages.Record(Preview, appId!, toUser, body);
        return TypedResults.Ok(new MassSendResponse(0, "preview success", state.Mass.NextPreviewId()));
    }

    /// <summary><c>{"msg_id"}</c> → its status; every simulated send finishes at once, so SEND_SUCCESS.</summary>
    public static async Task<Results<Ok<MassStatusResponse>, Ok<WechatStatus>>> GetAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, Get, ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        long? msgId = body.TryGetProperty("msg_id", out var id)
            ? id.ValueKind switch
            {
                JsonValueKind.Number when id.TryGetInt64(out var n) => n,
                JsonValueKind.String when long.TryParse(id.GetString(), out var n) => n,
                _ => null,
            }
            : null;
        return msgId is { } value && state.Mass.Find(appId!, value) is { } job
            ? TypedResults.Ok(new MassStatusResponse(job.MsgId, "SEND_SUCCESS"))
            : TypedResults.Ok(WechatStatus.Of(WechatErrors.InvalidParameter));
    }

    private static Results<Ok<MassSendResponse>, Ok<WechatStatus>> Submit(
        SimulatorState state, string appId, string api, JsonElement body, int addressed, IReadOnlyList<string> audience)
    {
        var clientMsgId = body.GetString("clientmsgid");
        var subscription = IsSubscriptionAccount(state, appId);
        var (job, refusal, existing) = state.Mass.Send(appId, api, body.GetString("msgtype")!, clientMsgId, subscription,
            countsDaily: api == SendAll, addressed, audience);
        switch (refusal)
        {
            case MassRefusal.DuplicateClientMsgId:
                return TypedResults.Ok(new MassSendResponse(WechatErrors.ClientMsgIdExists, WechatErrors.MessageFor(WechatErrors.ClientMsgIdExists), existing!.Value));
            case MassRefusal.DailyQuotaUsed:
                return TypedResults.Ok(WechatStatus.Of(WechatErrors.MassSendQuotaReached));
        }

        foreach (var openId in job!.Recipients)
        {
            state.Messages.Record(api, appId, openId, body);
        }

        state.MassReports.Report(job);
        return TypedResults.Ok(new MassSendResponse(0, "send job submission success", job.MsgId, job.MsgDataId));
    }

    /// <summary>The body checks shared by every mass API: a known msgtype with its content, a clientmsgid of at most 64 characters.</summary>
    private static WechatStatus? CheckMessage(SimulatorState state, string? appId, JsonElement body)
    {
        var msgType = body.GetString("msgtype");
        if (msgType is null || !MsgTypes.Contains(msgType))
        {
            return WechatStatus.Of(WechatErrors.InvalidMessageType);
        }

        var content = body.TryGetProperty(msgType, out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        if (msgType == "text")
        {
            if (content.ValueKind != JsonValueKind.Object || string.IsNullOrEmpty(content.GetString("content")))
            {
                return WechatStatus.Of(WechatErrors.EmptyContent);
            }
        }
        else
        {
            var mediaId = content.ValueKind == JsonValueKind.Object ? content.GetString("media_id") : null;
            // An mpnews article must have been uploaded to this account (media/uploadnews).
            if (string.IsNullOrEmpty(mediaId) || (msgType == "mpnews" && !state.Media.List(appId).Any(m => m.MediaId == mediaId)))
            {
                return WechatStatus.Of(WechatErrors.InvalidMediaId);
            }
        }

        return body.GetString("clientmsgid") is { Length: > MaxClientMsgIdLength } ? WechatStatus.Of(WechatErrors.ClientMsgIdTooLong) : null;
    }

    private static bool IsSubscriptionAccount(SimulatorState state, string appId) =>
        state.Accounts.Find(appId) is { ServiceType: AccountServiceType.Subscription };
}
