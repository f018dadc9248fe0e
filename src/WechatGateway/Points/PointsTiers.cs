using Microsoft.Extensions.Options;

namespace WechatGateway.Points;

/// <summary>The configured tiers: a member is in the highest tier whose threshold its lifetime points reach.</summary>
public sealed class PointsTiers(IOptions<PointsOptions> options)
{
    private static readonly TierOptions[] Defaults =
    [
        new() { Name = "basic", MinLifetime = 0 },
        new() { Name = "silver", MinLifetime = 1000 },
        new() { Name = "gold", MinLifetime = 5000 },
    ];

    private readonly TierOptions[] _tiers = (options.Value.Tiers.Count > 0 ? [.. options.Value.Tiers] : Defaults)
        .OrderBy(t => t.MinLifetime).ToArray();

    public string Lowest => _tiers[0].Name;

    /// <summary>The tier names, lowest first.</summary>
    public IReadOnlyList<string> Names => [.. _tiers.Select(t => t.Name)];

    /// <summary>The tiers, lowest threshold first.</summary>
    public IReadOnlyList<TierOptions> Scale => _tiers;

    public string Of(long lifetime) => Of(_tiers, lifetime);

    public static string Of(IReadOnlyList<TierOptions> tiers, long lifetime)
    {
        var tier = tiers[0].Name;
        foreach (var t in tiers)
        {
            if (lifetime >= t.MinLifetime)
            {
                tier = t.Name;
            }
        }

        return tier;
    }
}
