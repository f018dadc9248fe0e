namespace WechatGateway.Members;

/// <summary>Lifecycle stages, derived from what is known of a member.</summary>
public static class MemberStage
{
    public const string Follower = "follower";
    public const string Registered = "registered";
    public const string Customer = "customer";
    public const string Repeat = "repeat";
    public const string Dormant = "dormant";
    public const string Lost = "lost";
    public const string Merged = "merged";

    /// <summary>The stages a dormancy sweep may move to <see cref="Dormant"/>.</summary>
    public static readonly string[] Active = [Follower, Registered, Customer, Repeat];

    /// <summary>
    /// Lost wins (unfollowed every official account it followed), then dormant (no interaction for N days), then the
    /// furthest of follower → registered (phone bound) → customer (first order) → repeat (second order).
    /// </summary>
    public static string Of(MemberFacts facts, DateTime now, int dormantAfterDays)
    {
        if (facts.Follows > 0 && facts.Subscribed == 0)
        {
            return Lost;
        }

        if (now - facts.LastInteractionAt > TimeSpan.FromDays(dormantAfterDays))
        {
            return Dormant;
        }

        return facts.OrderCount switch
        {
            >= 2 => Repeat,
            1 => Customer,
            _ => facts.PhoneBound ? Registered : Follower,
        };
    }
}

public sealed record MemberFacts(int Follows, int Subscribed, int OrderCount, bool PhoneBound, DateTime LastInteractionAt);
