using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MySqlConnector;
using WechatGateway.Members;
using WechatGateway.MiniProgram;
using WechatGateway.Operations;

namespace WechatGateway.Campaigns;

/// <summary><c>POST /api/mp/me/subscriptions</c>: the mini-program hands over what the user chose in wx.requestSubscribeMessage.</summary>
public static class SubscriptionEndpoints
{
    /// <param name="Granted">Consents added by this request (0 for a retry: same Idempotency-Key, or without one the same choices within 10 minutes).</param>
    /// <param name="Available">The user's unspent consents per template, after this request.</param>
    public sealed record SubscriptionsView(int Granted, IReadOnlyDictionary<string, int> Available);

    public static RouteGroupBuilder MapSubscriptions(this RouteGroupBuilder me)
    {
        me.MapPost("/subscriptions", RecordAsync).WithSummary(
            "Records wx.requestSubscribeMessage's result as it came ({ \"errMsg\", \"TEMPLATE_ID\": \"accept\" | \"reject\" | \"ban\" | \"filter\" }): each accept lets the brand send that template once; a reject withdraws the unspent ones. A retry is harmless: with an Idempotency-Key header (one per wx.requestSubscribeMessage call) it is the same request; without one, the same choices from the same user within 10 minutes are taken for a retry and grant once.");
        return me;
    }

    [RequestExample("""{ "errMsg": "requestSubscribeMessage:ok", "kx3pQ2d8Vb0cT9aH1mZf": "accept", "Yb7rT1c0qLp4Xw2sN8ve": "reject" }""")]
    [ResponseExample("""{ "granted": 1, "available": { "kx3pQ2d8Vb0cT9aH1mZf": 2 } }""")]
    public static async Task<Results<Ok<SubscriptionsView>, ValidationProblem>> RecordAsync(
        Dictionary<string, JsonElement> result, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, ClaimsPrincipal user,
        [FromServices] MemberResolver resolver, [FromServices] SubscribeConsents consents, [FromServices] MySqlDataSource dataSource, [FromServices] TimeProvider time, CancellationToken ct)
    {
        // errMsg is the call's own status; every other string property is a template id and the user's choice.
        var choices = result.Where(p => p.Key != "errMsg" && p.Value.ValueKind == JsonValueKind.String)
            .Select(p => new ConsentChoice(p.Key, p.Value.GetString()!)).ToList();
        if (choices.Count == 0 || choices.Any(c => c.TemplateId.Length > 128) || idempotencyKey is { Length: > 64 })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["result"] = ["send wx.requestSubscribeMessage's success result: template ids (at most 128 characters) mapped to accept, reject, ban or filter; an Idempotency-Key of at most 64 characters"],
            });
        }

        var (appId, openId, memberId) = await MiniProgramEndpoints.CurrentAsync(user, resolver, ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var source = idempotencyKey is null ? await SubscribeConsents.DerivedSourceAsync(connection, memberId, choices, now, ct) : $"mp:{memberId}:{idempotencyKey}";
        var granted = await consents.RecordAsync(connection, null, appId, openId, memberId, choices, source, now, ct);
        return TypedResults.Ok(new SubscriptionsView(granted, await consents.AvailableAsync(connection, appId, openId, ct)));
    }
}
