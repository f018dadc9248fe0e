using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Points;

/// <summary>The <c>Points</c> section.</summary>
public sealed class PointsOptions : IValidatableObject
{
    public const string Section = "Points";

    /// <summary>IANA (or Windows) zone whose midnight starts a new check-in day and a new daily cap.</summary>
    [Required]
    public string TimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>Points expire this many months after they were earned; 0 keeps them forever.</summary>
    [Range(0, 120)]
    public int ExpiryMonths { get; set; } = 12;

    /// <summary>A reminder is recorded as due this many days before a lot expires.</summary>
    [Range(0, 365)]
    public int ReminderDaysBefore { get; set; } = 30;

    /// <summary>How often the worker expires lots and records reminders.</summary>
    [Range(1, 24 * 60)]
    public int ExpiryIntervalMinutes { get; set; } = 60;

    /// <summary>How often the worker matches pending imported orders to members that appeared since.</summary>
    [Range(1, 3600)]
    public int OrderMatchIntervalSeconds { get; set; } = 60;

    /// <summary>
    /// Yuan one store manager's key may import in 24 hours (orders still pending included); past it, its orders are
    /// refused. A leaked or careless store key can then credit only so much.
    /// </summary>
    [Range(0, 1_000_000_000)]
    public decimal StoreManagerOrderAmountPerDay { get; set; } = 100_000m;

    /// <summary>Tiers by lifetime points; empty means basic (0), silver (1000), gold (5000).</summary>
    public List<TierOptions> Tiers { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!System.TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
        {
            yield return new ValidationResult($"Points:TimeZone '{TimeZone}' is not a known time zone.", [nameof(TimeZone)]);
        }

        for (var i = 0; i < Tiers.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Tiers[i].Name) || Tiers[i].Name.Length > 32)
            {
                yield return new ValidationResult($"Points:Tiers:{i}:Name is required (at most 32 characters).", [nameof(Tiers)]);
            }

            if (Tiers[i].MinLifetime < 0)
            {
                yield return new ValidationResult($"Points:Tiers:{i}:MinLifetime must not be negative.", [nameof(Tiers)]);
            }
        }

        if (Tiers.Count > 0 && Tiers.Min(t => t.MinLifetime) != 0)
        {
            yield return new ValidationResult("Points:Tiers needs one tier with MinLifetime 0, so every member has a tier.", [nameof(Tiers)]);
        }
    }
}

public sealed class TierOptions
{
    public string Name { get; set; } = "";

    public long MinLifetime { get; set; }
}
