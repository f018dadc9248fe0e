using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Wechat;

namespace WechatSimulator.Messages;

public sealed record TemplateRequest(string? AppId, string? TemplateId, string? Kind, string? Title);

public sealed record ConsentRequest(string? AppId, string? OpenId, string? TemplateId, int? Count);

public sealed record ConsentResponse(
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("openid")] string OpenId,
    [property: JsonPropertyName("templateId")] string TemplateId,
    [property: JsonPropertyName("remaining")] int Remaining);

/// <summary><c>cgi-bin/template/get_all_private_template</c>: <c>{"template_list":[{"template_id","title",…}]}</c>.</summary>
public sealed record PrivateTemplatesResponse([property: JsonPropertyName("template_list")] IReadOnlyList<PrivateTemplate> TemplateList);

public sealed record PrivateTemplate(
    [property: JsonPropertyName("template_id")] string TemplateId,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("primary_industry")] string PrimaryIndustry,
    [property: JsonPropertyName("deputy_industry")] string DeputyIndustry,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("example")] string Example);

/// <summary><c>wxaapi/newtmpl/gettemplate</c>: <c>{"errcode":0,"errmsg":"ok","data":[{"priTmplId","title","content","example","type"}]}</c>.</summary>
public sealed record SubscribeTemplatesResponse(
    [property: JsonPropertyName("errcode")] int ErrCode,
    [property: JsonPropertyName("errmsg")] string ErrMsg,
    [property: JsonPropertyName("data")] IReadOnlyList<SubscribeTemplate> Data);

public sealed record SubscribeTemplate(
    [property: JsonPropertyName("priTmplId")] string PriTmplId,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("example")] string Example,
    [property: JsonPropertyName("type")] int Type);

public static class TemplateEndpoints
{
    public const string PrivateTemplates = "template/get_all_private_template";
    public const string SubscribeTemplates = "wxaapi/newtmpl/gettemplate";

    public static void MapTemplates(this IEndpointRouteBuilder app)
    {
        app.MapGet("/cgi-bin/" + PrivateTemplates, ListPrivateTemplatesAsync).WithTags("WeChat");
        app.MapGet("/" + SubscribeTemplates, ListSubscribeTemplatesAsync).WithTags("WeChat");

        var templates = app.MapGroup("/_sim/templates").WithTags("Simulator");
        templates.MapGet("/", (string? appid, string? kind, SimulatorState state) => TypedResults.Ok(state.Templates.List(appid, kind)));
        templates.MapPost("/", AddTemplate);
        app.MapPost("/_sim/subscriptions", GrantConsent).WithTags("Simulator");
    }

    public static async Task<Results<Ok<PrivateTemplatesResponse>, Ok<WechatStatus>>> ListPrivateTemplatesAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, error) = await WechatCall.BeginAuthorizedAsync(request, state, PrivateTemplates, ct);
        return error is not null
            ? TypedResults.Ok(error)
            : TypedResults.Ok(new PrivateTemplatesResponse([.. state.Templates.List(appId, TemplateStore.Template)
                .Select(t => new PrivateTemplate(t.TemplateId, t.Title, "IT科技", "互联网|电子商务", "{{first.DATA}}\n{{keyword1.DATA}}\n{{remark.DATA}}", ""))]));
    }

    public static async Task<Results<Ok<SubscribeTemplatesResponse>, Ok<WechatStatus>>> ListSubscribeTemplatesAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, error) = await WechatCall.BeginAuthorizedAsync(request, state, SubscribeTemplates, ct);
        // type 2: a one-time subscription (一次性订阅), the kind a consent is spent on.
        return error is not null
            ? TypedResults.Ok(error)
            : TypedResults.Ok(new SubscribeTemplatesResponse(WechatErrors.Ok, "ok", [.. state.Templates.List(appId, TemplateStore.Subscribe)
                .Select(t => new SubscribeTemplate(t.TemplateId, t.Title, "thing1:{{thing1.DATA}}\ntime2:{{time2.DATA}}", "", 2))]));
    }

    /// <summary><c>{"appid","templateId","kind":"template"|"subscribe","title"}</c>: the account now has this template.</summary>
    public static Results<Created<SimTemplate>, ValidationProblem> AddTemplate(TemplateRequest request, SimulatorState state)
    {
        var kind = request.Kind ?? TemplateStore.Template;
        if (string.IsNullOrWhiteSpace(request.AppId) || string.IsNullOrWhiteSpace(request.TemplateId) || kind is not (TemplateStore.Template or TemplateStore.Subscribe))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["template"] = ["appid and templateId are required; kind is template or subscribe"] });
        }

        return TypedResults.Created("/_sim/templates", state.Templates.Add(new SimTemplate(request.AppId, request.TemplateId, kind, request.Title ?? request.TemplateId)));
    }

    /// <summary><c>{"appid","openid","templateId","count"}</c>: the user accepted a subscribe template <c>count</c> times (default 1).</summary>
    public static Results<Ok<ConsentResponse>, ValidationProblem> GrantConsent(ConsentRequest request, SimulatorState state)
    {
        if (string.IsNullOrWhiteSpace(request.AppId) || string.IsNullOrWhiteSpace(request.OpenId) || string.IsNullOrWhiteSpace(request.TemplateId) || request.Count is < 1)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["subscription"] = ["appid, openid and templateId are required; count at least 1"] });
        }

        var remaining = state.Templates.Grant(request.AppId, request.OpenId, request.TemplateId, request.Count ?? 1);
        return TypedResults.Ok(new ConsentResponse(request.AppId, request.OpenId, request.TemplateId, remaining));
    }
}
