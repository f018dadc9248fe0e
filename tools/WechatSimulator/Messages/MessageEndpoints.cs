using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Wechat;

namespace WechatSimulator.Messages;

public sealed record TemplateSendResponse(
    [property: JsonPropertyName("errcode")] int ErrCode,
    [property: JsonPropertyName("errmsg")] string ErrMsg,
    [property: JsonPropertyName("msgid")] long MsgId);

public static class MessageEndpoints
{
    public const string CustomSend = "message/custom/send";
    public const string TemplateSend = "message/template/send";
    public const string SubscribeSend = "message/subscribe/send";

    public static void MapMessages(this IEndpointRouteBuilder app)
    {
        app.MapPost("/cgi-bin/" + CustomSend, SendCustomAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + TemplateSend, SendTemplateAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/" + SubscribeSend, SendSubscribeAsync).WithTags("WeChat");

        var group = app.MapGroup("/_sim/messages").WithTags("Simulator");
        group.MapGet("/", ListMessages);
        group.MapDelete("/", ClearMessages);
    }

    /// <summary>Customer-service message: <c>{"touser","msgtype":"text","text":{"content"}}</c>.</summary>
    public static async Task<Ok<WechatStatus>> SendCustomAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (error, _) = await DeliverAsync(request, state, CustomSend, RequireString("msgtype", WechatErrors.InvalidMessageType), ct);
        return TypedResults.Ok(error ?? WechatStatus.Ok);
    }

    /// <summary>Template message: <c>{"touser","template_id","url","data":{...}}</c>, answered with a msgid.</summary>
    public static async Task<Results<Ok<TemplateSendResponse>, Ok<WechatStatus>>> SendTemplateAsync(
        HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (error, _) = await DeliverAsync(request, state, TemplateSend, RequireString("template_id", WechatErrors.InvalidTemplateId), ct);
        return error is null
            ? TypedResults.Ok(new TemplateSendResponse(WechatErrors.Ok, "ok", state.Messages.NextMsgId()))
            : TypedResults.Ok(error);
    }

    /// <summary>Subscribe message: <c>{"touser","template_id","page","data":{...}}</c>.</summary>
    public static async Task<Ok<WechatStatus>> SendSubscribeAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (error, _) = await DeliverAsync(request, state, SubscribeSend, RequireString("template_id", WechatErrors.InvalidTemplateId), ct);
        return TypedResults.Ok(error ?? WechatStatus.Ok);
    }

    public static Ok<IReadOnlyList<SimMessage>> ListMessages(string? touser, string? api, SimulatorState state) =>
        TypedResults.Ok(state.Messages.List(touser, api));

    public static NoContent ClearMessages(SimulatorState state)
    {
        state.Messages.Clear();
        return TypedResults.NoContent();
    }

    private static async Task<(WechatStatus? Error, SimMessage? Message)> DeliverAsync(
        HttpRequest request, SimulatorState state, string api, Func<JsonElement, WechatStatus?> validate, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, api, ct);
        if (error is not null)
        {
            return (error, null);
        }

        var toUser = body.GetString("touser");
        var templateId = body.GetString("template_id");
        // The body first: a malformed send must not spend one of the follower's customer-service messages or consents.
        if ((validate(body) ?? KnownTemplate(state, api, appId!, templateId) ?? DeliveryRules.Check(state, api, appId!, toUser, templateId)) is { } refusal)
        {
            return (refusal, null);
        }

        return (null, state.Messages.Record(api, appId!, toUser!, body));
    }

    /// <summary>40037 for a template id the account has not added (when it has added any of that kind).</summary>
    private static WechatStatus? KnownTemplate(SimulatorState state, string api, string appId, string? templateId) => api switch
    {
        TemplateSend => state.Templates.Check(appId, TemplateStore.Template, templateId ?? ""),
        SubscribeSend => state.Templates.Check(appId, TemplateStore.Subscribe, templateId ?? ""),
        _ => null,
    } is { } code ? WechatStatus.Of(code) : null;

    private static Func<JsonElement, WechatStatus?> RequireString(string name, int errCode) =>
        body => string.IsNullOrEmpty(body.GetString(name)) ? WechatStatus.Of(errCode) : null;
}
