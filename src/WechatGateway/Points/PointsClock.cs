using Microsoft.Extensions.Options;

namespace WechatGateway.Points;

/// <summary>Local days in <c>Points:TimeZone</c>: check-ins and daily caps turn over at local midnight, not UTC's.</summary>
public sealed class PointsClock(IOptions<PointsOptions> options, TimeProvider time)
{
    public TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);

    public DateTimeOffset Now => time.GetUtcNow();

    public DateOnly Today => LocalDay(time.GetUtcNow(), Zone);

    public DateOnly DayOf(DateTimeOffset instant) => LocalDay(instant, Zone);

    /// <summary>The calendar day an instant falls on in <paramref name="zone"/>.</summary>
    public static DateOnly LocalDay(DateTimeOffset instant, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>The streak a check-in on <paramref name="day"/> makes, given the member's previous check-in.</summary>
    public static int Streak(DateOnly day, DateOnly? previousDay, int previousStreak) =>
        previousDay is { } previous && previous.AddDays(1) == day ? previousStreak + 1 : 1;
}
