using Microsoft.AspNetCore.Http.HttpResults;

namespace WechatSimulator.Faults;

public sealed record FaultRequest(string? Api, int? ErrCode, string? ErrMsg, int? DelayMs, int? Count, double? Rate = null, IReadOnlyList<int>? ErrCodes = null);

public static class FaultEndpoints
{
    public static void MapFaults(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/_sim/faults").WithTags("Simulator");
        group.MapGet("/", ListFaults);
        group.MapPost("/", AddFault);
        group.MapDelete("/", ClearFaults);
    }

    public static Ok<IReadOnlyList<Fault>> ListFaults(SimulatorState state) => TypedResults.Ok(state.Faults.Pending());

    /// <summary>
    /// <c>{"api":"message/custom/send","errcode":45047,"count":3}</c> fails the next 3 calls;
    /// <c>{"api":"token","delayMs":6000}</c> stalls the next one for 6 s and then answers normally.
    /// Both together stall, then fail. <c>{"api":"message/template/send","rate":0.3,"errcodes":[-1,45009,43004]}</c>
    /// fails 30% of the calls with one of those errcodes until the faults are cleared (or <c>count</c> of them have failed).
    /// </summary>
    public static Results<Created<Fault>, ValidationProblem> AddFault(FaultRequest request, SimulatorState state)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Api))
        {
            errors["api"] = ["api is required, e.g. \"message/custom/send\" or \"token\""];
        }

        if (request.Rate is not null)
        {
            if (request.Rate is not (> 0 and <= 1) || request.ErrCodes is not { Count: > 0 })
            {
                errors["rate"] = ["a random fault needs a rate in (0, 1] and errcodes to draw from"];
            }
        }
        else if (request.ErrCode is null && request.DelayMs is null)
        {
            errors["errcode"] = ["give errcode, delayMs or both"];
        }

        if (request.DelayMs is < 0)
        {
            errors["delayMs"] = ["delayMs must not be negative"];
        }

        if (request.Count is < 1)
        {
            errors["count"] = ["count must be at least 1"];
        }

        if (request.Rate is <= 0 or > 1)
        {
            errors["rate"] = ["rate must be above 0 and at most 1"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var fault = state.Faults.Add(new Fault(request.Api!, request.ErrCode, request.ErrMsg, request.DelayMs,
            request.Count ?? (request.Rate is null ? 1 : int.MaxValue), request.Rate, request.ErrCodes));
        return TypedResults.Created("/_sim/faults", fault);
    }

    public static NoContent ClearFaults(SimulatorState state)
    {
        state.Faults.Clear();
        return TypedResults.NoContent();
    }
}
