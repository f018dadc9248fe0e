using Microsoft.AspNetCore.Http.HttpResults;

namespace WechatSimulator.Messages;

/// <summary><c>kind</c>: <c>message</c>, <c>follow</c>, <c>scan</c> or <c>click</c>; <c>at</c> defaults to now.</summary>
public sealed record InteractionRequest(string? AppId, string? OpenId, string? Kind, DateTimeOffset? At);

public static class InteractionEndpoints
{
    private static readonly string[] Kinds = ["message", "follow", "scan", "click"];

    public static void MapInteractions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/_sim/interactions").WithTags("Simulator");
        group.MapPost("/", Record);
        group.MapGet("/", List);
    }

    /// <summary>Tells the simulator a follower wrote to (or followed, scanned, clicked) the account, as WeChat would know.</summary>
    public static Results<Ok<SimInteraction>, ValidationProblem> Record(InteractionRequest request, SimulatorState state)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.AppId))
        {
            errors["appid"] = ["appid is required"];
        }

        if (string.IsNullOrWhiteSpace(request.OpenId))
        {
            errors["openid"] = ["openid is required"];
        }

        var kind = request.Kind?.Trim().ToLowerInvariant();
        if (kind is null || !Kinds.Contains(kind))
        {
            errors["kind"] = ["kind is one of message, follow, scan, click"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(state.Interactions.Record(request.AppId!, request.OpenId!, kind == "message", request.At ?? state.Time.GetUtcNow()));
    }

    public static Ok<IReadOnlyList<SimInteraction>> List(SimulatorState state) => TypedResults.Ok(state.Interactions.All());
}
