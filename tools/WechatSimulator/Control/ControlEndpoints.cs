using Microsoft.AspNetCore.Http.HttpResults;

namespace WechatSimulator.Control;

/// <summary><c>tokensIssued</c> per appid (new tokens only), <c>calls</c> per API name.</summary>
public sealed record StatsResponse(Dictionary<string, int> TokensIssued, Dictionary<string, int> Calls);

public static class ControlEndpoints
{
    public static void MapControl(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/_sim").WithTags("Simulator");
        group.MapGet("/stats", GetStats);
        group.MapPost("/reset", Reset);
    }

    public static Ok<StatsResponse> GetStats(SimulatorState state) =>
        TypedResults.Ok(new StatsResponse(state.Tokens.IssuedCounts(), state.Stats.Snapshot()));

    /// <summary>Forgets everything but the accounts.</summary>
    public static NoContent Reset(SimulatorState state)
    {
        state.Reset();
        return TypedResults.NoContent();
    }
}
