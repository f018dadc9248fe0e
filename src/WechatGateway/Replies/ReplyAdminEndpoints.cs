using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WechatGateway.Accounts;
using WechatGateway.Admin;
using WechatGateway.Operations;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Replies;

/// <summary>
/// <c>/api/admin/auto-replies</c> and <c>/api/admin/templates</c>: HQ authors replies once for every store. A reply
/// that cannot run (Liquid that does not parse, an unknown filter, a pattern that needs backtracking) is refused at
/// save time with the field and its line and column. Each write reloads this instance's rules at once and tells the
/// others.
/// </summary>
public static class ReplyAdminEndpoints
{
    public sealed record Created(ulong Id);

    /// <summary>A message to try against the rules (query parameters), as the console's "try a message" box sends it.</summary>
    public sealed record TryRequest(string? AppId, string? Text, string? Event, string? EventKey, ulong? MemberId);

    /// <param name="Action"><c>reply</c>, or <c>steer</c> when the message would steer the member to a group (the reply, if any, is the invitation's intro).</param>
    public sealed record TryResult(ulong? RuleId, string? RuleName, RenderedView? Reply, string? Action = null);

    public sealed record PreviewRequest(ulong? MemberId, string? Text);

    /// <summary>A rendered reply: its type and the values WeChat would receive.</summary>
    public sealed record RenderedView(string Type, string? Content, string? MediaId, IReadOnlyList<NewsArticle> Articles, string? Url, IReadOnlyDictionary<string, string> Data);

    public static RouteGroupBuilder MapAdminReplies(this RouteGroupBuilder admin)
    {
        var rules = admin.MapGroup("/auto-replies").WithTags("Replies");
        rules.MapGet("", ListRulesAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("Every auto-reply rule, in the order they are tried.");
        rules.MapGet("/{id}", GetRuleAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One auto-reply rule.");
        rules.MapPost("", CreateRuleAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Creates a rule; 400 with the field, line and column when it cannot run.");
        rules.MapPut("/{id}", UpdateRuleAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Replaces a rule.");
        rules.MapDelete("/{id}", DeleteRuleAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Deletes a rule.");
        rules.MapGet("/try", TryAsync).RequireAuthorization(AdminPolicies.Read).AuditReads(onlyWithQuery: "memberId")
            .WithSummary("Which rule answers a message or event, and the reply rendered for a member (404 for a member outside a store manager's stores; audited); changes nothing.");

        var templates = admin.MapGroup("/templates").WithTags("Replies");
        templates.MapGet("", ListTemplatesAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("Every reply template.");
        templates.MapGet("/{id}", GetTemplateAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One reply template.");
        templates.MapPost("", CreateTemplateAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Creates a template; 400 with line and column when its Liquid does not parse.");
        templates.MapPut("/{id}", UpdateTemplateAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Replaces a template.");
        templates.MapDelete("/{id}", DeleteTemplateAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Deletes a template no rule uses (409 otherwise).");
        templates.MapPost("/{id}/preview", PreviewAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("Renders a template for a member; changes nothing.");
        templates.MapGet("/render", RenderDraftAsync).RequireAuthorization(AdminPolicies.Write).AuditReads(onlyWithQuery: "memberId")
            .WithSummary("Renders unsaved text-template content for a member (the console's live preview), for keys that may write replies; 400 with line and column when it does not parse, 400 naming the field when it renders past a bound; 404 for a member outside a store manager's stores. Audited when it names a member. Changes nothing.");
        return admin;
    }

    [ResponseExample("""[ { "id": 21, "appId": null, "name": "price list", "match": "contains", "keywords": ["价格", "price"], "event": null, "eventKey": null, "priority": 10, "enabled": true, "action": "reply", "validFrom": null, "validUntil": null, "reply": { "type": "text", "content": "Hi {{ member.nickname | default: 'friend' }}, you have {{ member.points.balance }} points. Our price list: https://example-brand.cn/prices" }, "templateId": null, "createdAt": "2026-11-28T07:30:00", "updatedAt": "2026-11-28T07:30:00" } ]""")]
    public static async Task<Ok<IReadOnlyList<AutoReplyView>>> ListRulesAsync([FromServices] ReplyStore store, CancellationToken ct) =>
        TypedResults.Ok<IReadOnlyList<AutoReplyView>>([.. (await store.LoadAsync(ct)).Rules.Order(Comparer<AutoReplyView>.Create(AutoReplyRule.TrialOrder))]);

    [ResponseExample("""{ "id": 21, "appId": null, "name": "price list", "match": "contains", "keywords": ["价格", "price"], "event": null, "eventKey": null, "priority": 10, "enabled": true, "action": "reply", "validFrom": null, "validUntil": null, "reply": { "type": "text", "content": "Hi {{ member.nickname | default: 'friend' }}, you have {{ member.points.balance }} points. Our price list: https://example-brand.cn/prices" }, "templateId": null, "createdAt": "2026-11-28T07:30:00", "updatedAt": "2026-11-28T07:30:00" }""")]
    public static async Task<Results<Ok<AutoReplyView>, NotFound>> GetRuleAsync(ulong id, [FromServices] ReplyStore store, CancellationToken ct) =>
        await store.GetRuleAsync(id, ct) is { } rule ? TypedResults.Ok(rule) : TypedResults.NotFound();

    [RequestExample("""{ "appId": null, "name": "price list", "match": "contains", "keywords": ["价格", "price"], "priority": 10, "enabled": true, "action": "reply", "tags": ["price-curious"], "reply": { "type": "text", "content": "Hi {{ member.nickname | default: 'friend' }}, you have {{ member.points.balance }} points. Our price list: https://example-brand.cn/prices" } }""")]
    [ResponseExample("""{ "id": 21 }""")]
    public static async Task<Results<Created<Created>, ValidationProblem>> CreateRuleAsync(
        AutoReplyRequest request, [FromServices] ReplyStore store, [FromServices] ReplyRuleSet rules, [FromServices] LiquidTemplates liquid, [FromServices] AccountRegistry accounts, CancellationToken ct)
    {
        if (Validate(request, rules, liquid, accounts) is { } problem)
        {
            return problem;
        }

        var id = await store.SaveRuleAsync(null, ViewOf(0, request), ct);
        await ChangedAsync(rules, ct);
        return TypedResults.Created($"/api/admin/auto-replies/{id}", new Created(id!.Value));
    }

    [RequestExample("""{ "appId": null, "name": "price list", "match": "contains", "keywords": ["价格", "price"], "priority": 10, "enabled": true, "action": "reply", "reply": { "type": "text", "content": "Hi {{ member.nickname | default: 'friend' }}, you have {{ member.points.balance }} points. Our price list: https://example-brand.cn/prices" } }""")]
    [ResponseExample("""{ "id": 21, "appId": null, "name": "price list", "match": "contains", "keywords": ["价格", "price"], "event": null, "eventKey": null, "priority": 10, "enabled": true, "action": "reply", "validFrom": null, "validUntil": null, "reply": { "type": "text", "content": "Hi {{ member.nickname | default: 'friend' }}, you have {{ member.points.balance }} points. Our price list: https://example-brand.cn/prices" }, "templateId": null, "createdAt": "2026-11-28T07:30:00", "updatedAt": "2026-11-28T07:30:00" }""")]
    public static async Task<Results<Ok<AutoReplyView>, NotFound, ValidationProblem>> UpdateRuleAsync(
        ulong id, AutoReplyRequest request, [FromServices] ReplyStore store, [FromServices] ReplyRuleSet rules, [FromServices] LiquidTemplates liquid, [FromServices] AccountRegistry accounts, CancellationToken ct)
    {
        if (Validate(request, rules, liquid, accounts) is { } problem)
        {
            return problem;
        }

        if (await store.SaveRuleAsync(id, ViewOf(id, request), ct) is null)
        {
            return TypedResults.NotFound();
        }

        await ChangedAsync(rules, ct);
        return TypedResults.Ok((await store.GetRuleAsync(id, ct))!);
    }

    public static async Task<Results<NoContent, NotFound>> DeleteRuleAsync(ulong id, [FromServices] ReplyStore store, [FromServices] ReplyRuleSet rules, CancellationToken ct)
    {
        if (!await store.DeleteRuleAsync(id, ct))
        {
            return TypedResults.NotFound();
        }

        await ChangedAsync(rules, ct);
        return TypedResults.NoContent();
    }

    [ResponseExample("""{ "ruleId": 21, "ruleName": "price list", "reply": { "type": "text", "content": "Hi 小雨, you have 1260 points. Our price list: https://example-brand.cn/prices", "mediaId": null, "articles": [], "url": null, "data": {} } }""")]
    public static async Task<Results<Ok<TryResult>, NotFound, ProblemHttpResult>> TryAsync(
        [AsParameters] TryRequest request, ClaimsPrincipal user, HttpContext http, [FromServices] ReplyRuleSet rules, [FromServices] ReplyModels models, [FromServices] AccountRegistry accounts, [FromServices] TimeProvider time, CancellationToken ct)
    {
        if (request.AppId is null || accounts.Find(request.AppId) is null)
        {
            return TypedResults.Problem("appId must name a configured account.", statusCode: StatusCodes.Status400BadRequest);
        }

        var push = SamplePush.Of(request.Text, request.Event, request.EventKey, time.GetUtcNow());
        if (rules.Match(push, request.AppId, time.GetUtcNow().UtcDateTime) is not { } rule)
        {
            return TypedResults.Ok(new TryResult(null, null, null));
        }

        if (await VisibleModelAsync(request.MemberId, push, request.AppId, user, http, models, ct) is not { } model)
        {
            return TypedResults.NotFound();
        }

        RenderedReply? rendered;
        try
        {
            rendered = rule.Reply is null ? null : await rule.Reply.RenderAsync(model);
        }
        catch (ReplyRenderException e)
        {
            return TypedResults.Problem(e.Message, title: "The reply cannot be rendered", statusCode: StatusCodes.Status400BadRequest);
        }

        return TypedResults.Ok(new TryResult(rule.View.Id, rule.View.Name, rendered is null ? null : ToView(rendered), rule.View.Action));
    }

    [ResponseExample("""[ { "id": 5, "name": "welcome back", "reply": { "type": "text", "content": "Welcome back {{ member.nickname | default: 'friend' }}! {% if member.points.balance >= 50 %}A coffee is yours for 50 points.{% endif %}" }, "createdAt": "2026-11-20T09:00:00", "updatedAt": "2026-11-29T10:12:31" } ]""")]
    public static async Task<Ok<IReadOnlyList<TemplateView>>> ListTemplatesAsync([FromServices] ReplyStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.LoadAsync(ct)).Templates);

    [ResponseExample("""{ "id": 5, "name": "welcome back", "reply": { "type": "text", "content": "Welcome back {{ member.nickname | default: 'friend' }}! {% if member.points.balance >= 50 %}A coffee is yours for 50 points.{% endif %}" }, "createdAt": "2026-11-20T09:00:00", "updatedAt": "2026-11-29T10:12:31" }""")]
    public static async Task<Results<Ok<TemplateView>, NotFound>> GetTemplateAsync(ulong id, [FromServices] ReplyStore store, CancellationToken ct) =>
        await store.GetTemplateAsync(id, ct) is { } template ? TypedResults.Ok(template) : TypedResults.NotFound();

    [RequestExample("""{ "name": "welcome back", "reply": { "type": "text", "content": "Welcome back {{ member.nickname | default: 'friend' }}! {% if member.points.balance >= 50 %}A coffee is yours for 50 points.{% endif %}" } }""")]
    [ResponseExample("""{ "id": 5 }""")]
    public static async Task<Results<Created<Created>, ValidationProblem>> CreateTemplateAsync(
        TemplateRequest request, [FromServices] ReplyStore store, [FromServices] ReplyRuleSet rules, [FromServices] LiquidTemplates liquid, CancellationToken ct)
    {
        if (ValidateTemplate(request, liquid) is { } problem)
        {
            return problem;
        }

        var id = await store.SaveTemplateAsync(null, request.Name!, request.Reply!, ct);
        await ChangedAsync(rules, ct);
        return TypedResults.Created($"/api/admin/templates/{id}", new Created(id!.Value));
    }

    [RequestExample("""{ "name": "welcome back", "reply": { "type": "text", "content": "Welcome back {{ member.nickname | default: 'friend' }}! {% if member.points.balance >= 50 %}A coffee is yours for 50 points.{% endif %}" } }""")]
    [ResponseExample("""{ "id": 5, "name": "welcome back", "reply": { "type": "text", "content": "Welcome back {{ member.nickname | default: 'friend' }}! {% if member.points.balance >= 50 %}A coffee is yours for 50 points.{% endif %}" }, "createdAt": "2026-11-20T09:00:00", "updatedAt": "2026-11-29T10:12:31" }""")]
    public static async Task<Results<Ok<TemplateView>, NotFound, ValidationProblem>> UpdateTemplateAsync(
        ulong id, TemplateRequest request, [FromServices] ReplyStore store, [FromServices] ReplyRuleSet rules, [FromServices] LiquidTemplates liquid, CancellationToken ct)
    {
        if (ValidateTemplate(request, liquid) is { } problem)
        {
            return problem;
        }

        if (await store.SaveTemplateAsync(id, request.Name!, request.Reply!, ct) is null)
        {
            return TypedResults.NotFound();
        }

        await ChangedAsync(rules, ct);
        return TypedResults.Ok((await store.GetTemplateAsync(id, ct))!);
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteTemplateAsync(ulong id, [FromServices] ReplyStore store, [FromServices] ReplyRuleSet rules, CancellationToken ct)
    {
        if (await store.GetTemplateAsync(id, ct) is null)
        {
            return TypedResults.NotFound();
        }

        if (!await store.DeleteTemplateAsync(id, ct))
        {
            return TypedResults.Problem("The template is used by an auto-reply rule; change or delete the rule first.", statusCode: StatusCodes.Status409Conflict);
        }

        await ChangedAsync(rules, ct);
        return TypedResults.NoContent();
    }

    [RequestExample("""{ "memberId": 10482, "text": "hello" }""")]
    [ResponseExample("""{ "type": "text", "content": "Welcome back 小雨! A coffee is yours for 50 points.", "mediaId": null, "articles": [], "url": null, "data": {} }""")]
    public static async Task<Results<Ok<RenderedView>, NotFound, ValidationProblem>> PreviewAsync(
        ulong id, PreviewRequest? request, [FromServices] ReplyStore store, [FromServices] LiquidTemplates liquid, [FromServices] ReplyModels models, CancellationToken ct)
    {
        if (await store.GetTemplateAsync(id, ct) is not { } template)
        {
            return TypedResults.NotFound();
        }

        var push = new TextMessage { Content = request?.Text ?? "", MsgType = "text" };
        return await RenderAsync(CompiledReply.Compile(template.Reply, liquid, knownFieldsOnly: false), await models.ForMemberAsync(request?.MemberId, push, null, ct));
    }

    /// <summary>A GET, so typing in the editor writes no audit rows (unless it names a member); a draft is one text template, short enough for a URL.</summary>
    [ResponseExample("""{ "type": "text", "content": "Welcome back 小雨! A coffee is yours for 50 points.", "mediaId": null, "articles": [], "url": null, "data": {} }""")]
    public static async Task<Results<Ok<RenderedView>, NotFound, ValidationProblem>> RenderDraftAsync(
        string? content, ulong? memberId, string? text, ClaimsPrincipal user, HttpContext http, [FromServices] LiquidTemplates liquid, [FromServices] ReplyModels models, CancellationToken ct)
    {
        CompiledReply compiled;
        try
        {
            compiled = CompiledReply.Compile(new ReplyBody(ReplyBody.Text, content ?? ""), liquid);
        }
        catch (ReplyValidationException e)
        {
            return Problem(e);
        }

        var push = new TextMessage { Content = text ?? "", MsgType = "text" };
        return await VisibleModelAsync(memberId, push, null, user, http, models, ct) is { } model
            ? await RenderAsync(compiled, model)
            : TypedResults.NotFound();
    }

    /// <summary>
    /// The model for a member this key may see (a store manager: members of its stores, as <c>/members</c>), naming the
    /// member's store for the audit row; null for a member it may not see, or that does not exist.
    /// </summary>
    private static async Task<ReplyModel?> VisibleModelAsync(ulong? memberId, WechatPush push, string? appId, ClaimsPrincipal user, HttpContext http, ReplyModels models, CancellationToken ct)
    {
        var model = await models.ForMemberAsync(memberId, push, appId, ct);
        if (memberId is null)
        {
            return model;
        }

        if (model.Member is not { } member || !user.CanSeeMember(member.HomeStoreId))
        {
            return null;
        }

        http.AuditStore(member.HomeStoreId);
        return model;
    }

    private static async Task<Results<Ok<RenderedView>, NotFound, ValidationProblem>> RenderAsync(CompiledReply reply, ReplyModel model)
    {
        try
        {
            return TypedResults.Ok(ToView(await reply.RenderAsync(model)));
        }
        catch (ReplyRenderException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e.Field] = [e.Message] }, detail: e.Message, extensions: new Dictionary<string, object?> { ["field"] = e.Field });
        }
    }

    private static ValidationProblem? Validate(AutoReplyRequest request, ReplyRuleSet rules, LiquidTemplates liquid, AccountRegistry accounts)
    {
        try
        {
            if (request.AppId is not null && accounts.Find(request.AppId) is null)
            {
                throw new ReplyValidationException("appId", "appId must name a configured account, or be null for all accounts");
            }

            if (request.Reply is not null && request.TemplateId is not null)
            {
                throw new ReplyValidationException("reply", "give either reply or templateId");
            }

            var reply = request.TemplateId is { } templateId
                ? rules.Template(templateId) ?? throw new ReplyValidationException("templateId", $"template {templateId} does not exist")
                : request.Reply is null ? null : CompiledReply.Compile(request.Reply, liquid);
            AutoReplyRule.Create(ViewOf(0, request), reply);
            return null;
        }
        catch (ReplyValidationException e)
        {
            return Problem(e);
        }
    }

    private static ValidationProblem? ValidateTemplate(TemplateRequest request, LiquidTemplates liquid)
    {
        try
        {
            if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
            {
                throw new ReplyValidationException("name", "name is required, at most 100 characters");
            }

            CompiledReply.Compile(request.Reply, liquid);
            return null;
        }
        catch (ReplyValidationException e)
        {
            return Problem(e);
        }
    }

    private static ValidationProblem Problem(ReplyValidationException e) => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { [e.Field] = [e.Message] },
        detail: e.Message,
        extensions: new Dictionary<string, object?> { ["field"] = e.Field, ["line"] = e.Line, ["column"] = e.Column });

    private static AutoReplyView ViewOf(ulong id, AutoReplyRequest r) => new(
        id, r.AppId, r.Name?.Trim() ?? "", r.Match?.ToLowerInvariant() ?? "", r.Keywords ?? [], r.Event?.ToLowerInvariant(), r.EventKey, r.Priority ?? 0,
        r.Enabled ?? true, r.ValidFrom, r.ValidUntil, r.Reply, r.TemplateId, default, default, r.Action?.Trim().ToLowerInvariant() ?? AutoReplyRule.ReplyAction,
        r.Tags?.Distinct().ToList() ?? []);

    private static RenderedView ToView(RenderedReply r) => new(r.Body.Type!, r.Content, r.Body.MediaId, r.Articles, r.Url, r.Data);

    private static async Task ChangedAsync(ReplyRuleSet rules, CancellationToken ct)
    {
        await rules.ReloadAsync(ct);
        await rules.PublishChangeAsync();
    }
}
