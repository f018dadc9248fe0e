using Dapper;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Points;
using WechatGateway.Profile;

namespace WechatGateway.Segments;

/// <summary>
/// Checks a segment before it is saved or previewed: every error names its field (<c>filter.tagsAll</c>), and a filter
/// naming a tag, store, tier, stage or account that does not exist is refused rather than saved as a segment that is
/// silently empty.
/// </summary>
public sealed class SegmentValidation(AccountRegistry accounts, PointsTiers tiers, TagCatalogue tags, MySqlDataSource dataSource)
{
    public const int MaxNameLength = 100;

    private static readonly string[] Stages =
        [MemberStage.Follower, MemberStage.Registered, MemberStage.Customer, MemberStage.Repeat, MemberStage.Dormant, MemberStage.Lost];

    public async Task<Dictionary<string, string[]>> ValidateAsync(string? name, SegmentFilter? filter, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [message];

        if (name is not null && (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength))
        {
            Error("name", $"name is 1 to {MaxNameLength} characters.");
        }

        if (filter is null)
        {
            return errors;
        }

        if (filter.AppId is { } appId && accounts.Find(appId) is null)
        {
            Error("filter.appId", $"'{appId}' is not an account of this gateway.");
        }

        if (filter.Stages?.FirstOrDefault(s => !Stages.Contains(s)) is { } stage)
        {
            Error("filter.stages", $"'{stage}' is not a stage: one of {string.Join(", ", Stages)}.");
        }

        await CheckTagsAsync(filter.TagsAll, "filter.tagsAll");
        await CheckTagsAsync(filter.TagsAny, "filter.tagsAny");
        await CheckTagsAsync(filter.TagsNone, "filter.tagsNone");

        if (filter.Tiers?.FirstOrDefault(t => !tiers.Names.Contains(t)) is { } tier)
        {
            Error("filter.tiers", $"'{tier}' is not a tier: one of {string.Join(", ", tiers.Names)} (Points:Tiers).");
        }

        if (filter.StoreIds is { Count: > 0 } storeIds)
        {
            const string sql = "SELECT id FROM store WHERE id IN @storeIds";
            await using var c = await dataSource.OpenConnectionAsync(ct);
            var found = (await c.QueryAsync<long>(new CommandDefinition(sql, new { storeIds }, cancellationToken: ct))).ToHashSet();
            if (storeIds.Where(id => !found.Contains(id)).ToList() is [var missing, ..])
            {
                Error("filter.storeIds", $"there is no store {missing}.");
            }
        }

        if (filter.Cities?.FirstOrDefault(string.IsNullOrWhiteSpace) is not null)
        {
            Error("filter.cities", "a city is not blank.");
        }

        if (filter.PointsMin is { } min && filter.PointsMax is { } max && min > max)
        {
            Error("filter.pointsMin", "pointsMin is at most pointsMax.");
        }

        if (filter.Rfm is { } rfm)
        {
            CheckRange(rfm.R, "filter.rfm.r");
            CheckRange(rfm.F, "filter.rfm.f");
            CheckRange(rfm.M, "filter.rfm.m");
        }

        if (filter.LastInteractionAfter is { } after && filter.LastInteractionBefore is { } before && after >= before)
        {
            Error("filter.lastInteractionAfter", "lastInteractionAfter is before lastInteractionBefore.");
        }

        return errors;

        async Task CheckTagsAsync(IReadOnlyList<string>? list, string field)
        {
            if (list is not { Count: > 0 })
            {
                return;
            }

            if (TagCatalogue.Invalid(list) is { } invalid)
            {
                Error(field, invalid);
            }
            else if (await tags.UnknownAsync(list, ct) is { Count: > 0 } unknown)
            {
                Error(field, $"unknown tag{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => $"'{u}'"))}: no rule, live code or member has it.");
            }
        }

        void CheckRange(IReadOnlyList<int>? range, string field)
        {
            if (range is null or { Count: 0 })
            {
                return;
            }

            if (range.Count != 2 || range[0] is < 1 or > 5 || range[1] is < 1 or > 5 || range[0] > range[1])
            {
                Error(field, "a score range is [min, max] with 1 <= min <= max <= 5.");
            }
        }
    }
}
