using System.Text.Json.Serialization;

namespace WechatSimulator.Faults;

/// <summary>
/// An injected failure: the next <see cref="Remaining"/> calls to <see cref="Api"/> stall and/or fail; or, with a
/// <see cref="Rate"/>, each call fails with that probability (an errcode drawn from <see cref="ErrCodes"/>, else
/// <see cref="ErrCode"/>) until <see cref="Remaining"/> have, unlimited by default.
/// </summary>
public sealed record Fault(
    string Api,
    [property: JsonPropertyName("errcode")] int? ErrCode,
    [property: JsonPropertyName("errmsg")] string? ErrMsg,
    int? DelayMs,
    int Remaining,
    [property: JsonPropertyName("rate")] double? Rate = null,
    [property: JsonPropertyName("errcodes")] IReadOnlyList<int>? ErrCodes = null);

/// <summary>Faults waiting to be played, first in first out per API.</summary>
public sealed class FaultStore
{
    private readonly Lock _lock = new();
    private readonly List<Fault> _faults = [];

    /// <summary>
    /// The simulator names an API by its path without the leading <c>/cgi-bin/</c>: <c>token</c>, <c>stable_token</c>,
    /// <c>message/custom/send</c>; other paths keep their first segment: <c>sns/jscode2session</c>.
    /// </summary>
    public static string NormalizeApi(string api)
    {
        var trimmed = api.Trim().Trim('/');
        return trimmed.StartsWith("cgi-bin/", StringComparison.Ordinal) ? trimmed["cgi-bin/".Length..] : trimmed;
    }

    public Fault Add(Fault fault)
    {
        var normalized = fault with { Api = NormalizeApi(fault.Api) };
        lock (_lock)
        {
            _faults.Add(normalized);
        }

        return normalized;
    }

    /// <summary>Takes one call's worth of the oldest fault queued for <paramref name="api"/>.</summary>
    public Fault? TryTake(string api)
    {
        lock (_lock)
        {
            var index = _faults.FindIndex(f => f.Api == api);
            if (index < 0)
            {
                return null;
            }

            var fault = _faults[index];
            if (fault.Rate is { } rate && Random.Shared.NextDouble() >= rate)
            {
                return null;
            }

            if (fault.Remaining <= 1)
            {
                _faults.RemoveAt(index);
            }
            else
            {
                _faults[index] = fault with { Remaining = fault.Remaining - 1 };
            }

            // Mixed errcodes: each failing call draws one.
            return fault.ErrCodes is { Count: > 0 } codes ? fault with { ErrCode = codes[Random.Shared.Next(codes.Count)] } : fault;
        }
    }

    public IReadOnlyList<Fault> Pending()
    {
        lock (_lock)
        {
            return [.. _faults];
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _faults.Clear();
        }
    }
}
