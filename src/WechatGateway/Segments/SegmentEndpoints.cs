using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Segments;

/// <summary>
/// <c>/api/admin/segments</c>: saved member filters with a live count and preview. Everyone with a key reads them;
/// admins and store managers save them. A store manager's counts and previews hold only its stores' members, and a
/// segment it saves is limited to its stores (its <c>storeIds</c>), so a campaign on it reaches no one else.
/// </summary>
public static class SegmentEndpoints
{
    public sealed record SegmentRequest(string? Name, SegmentFilter? Filter);

    public sealed record CreatedSegment(ulong Id);

    public const int MaxPage = 500;

    public static RouteGroupBuilder MapSegments(this RouteGroupBuilder admin)
    {
        var segments = admin.MapGroup("/segments").WithTags("Segments");
        segments.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Saved segments by id: at most limit (default and most 500), the next page after=the last id.");
        segments.MapGet("/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One segment with its filter.");
        segments.MapGet("/{id}/preview", PreviewAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("How many members the segment holds now and the first 20 (a store manager's stores only).");
        segments.MapPost("/preview", PreviewFilterAsync).RequireAuthorization(AdminPolicies.Write)
            .WithSummary("Count and first 20 of an unsaved filter, checked as a save would check it: the live count while a segment is edited (admins and store managers).");
        segments.MapPost("", CreateAsync).RequireAuthorization(AdminPolicies.Write)
            .WithSummary("Saves a segment; a filter naming an unknown tag, store, tier, stage or account is refused (400, nothing saved).");
        segments.MapPut("/{id}", UpdateAsync).RequireAuthorization(AdminPolicies.Write).WithSummary("Replaces a segment's name and filter.");
        segments.MapDelete("/{id}", DeleteAsync).RequireAuthorization(AdminPolicies.Write)
            .WithSummary("Deletes a segment: no longer listed nor offered for campaigns (campaigns that used it keep their audience).");
        return admin;
    }

    [ResponseExample("""[ { "id": 7, "appId": "wx5f3c2a1b9d8e7f60", "name": "gold near Jing'an, quiet 60 days", "filter": { "appId": "wx5f3c2a1b9d8e7f60", "tiers": ["gold"], "storeIds": [3], "lastInteractionBefore": "2026-10-06T00:00:00+00:00", "subscribed": true }, "createdBy": "hq-ops", "createdAt": "2026-12-05T08:00:00", "updatedAt": "2026-12-05T08:00:00" } ]""")]
    public static async Task<Results<Ok<IReadOnlyList<SegmentView>>, ProblemHttpResult>> ListAsync(int? limit, ulong? after, SegmentStore store, CancellationToken ct)
    {
        if (limit is < 1 or > MaxPage)
        {
            return TypedResults.Problem($"limit must be between 1 and {MaxPage}.", statusCode: StatusCodes.Status400BadRequest);
        }

        return TypedResults.Ok(await store.ListAsync(after, limit ?? MaxPage, ct));
    }

    [ResponseExample("""{ "id": 7, "appId": "wx5f3c2a1b9d8e7f60", "name": "gold near Jing'an, quiet 60 days", "filter": { "appId": "wx5f3c2a1b9d8e7f60", "tiers": ["gold"], "storeIds": [3], "lastInteractionBefore": "2026-10-06T00:00:00+00:00", "subscribed": true }, "createdBy": "hq-ops", "createdAt": "2026-12-05T08:00:00", "updatedAt": "2026-12-05T08:00:00" }""")]
    public static async Task<Results<Ok<SegmentView>, NotFound>> GetAsync(ulong id, SegmentStore store, CancellationToken ct) =>
        await store.GetViewAsync(id, ct) is { } segment ? TypedResults.Ok(segment) : TypedResults.NotFound();

    [ResponseExample("""{ "count": 1284, "members": [ { "memberId": "10482", "nickname": "小雨", "stage": "customer", "unionId": "oVx3a0t2KpL9mQ4rS7uW1yZ5bD8e", "phoneBound": true, "homeStoreId": 3, "lastInteractionAt": "2026-09-30T11:02:11" } ] }""")]
    public static async Task<Results<Ok<SegmentPreview>, NotFound>> PreviewAsync(ulong id, ClaimsPrincipal user, SegmentStore store, SegmentQueries queries, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } segment)
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Ok(Visible(await queries.PreviewAsync(segment.Filter, user.StoresOf(), ct), user));
    }

    [RequestExample("""{ "appId": "wx5f3c2a1b9d8e7f60", "tagsAny": ["coffee-lover"], "rfm": { "r": [4, 5] } }""")]
    [ResponseExample("""{ "count": 312, "members": [ { "memberId": "10482", "nickname": "小雨", "stage": "customer", "unionId": "oVx3a0t2KpL9mQ4rS7uW1yZ5bD8e", "phoneBound": true, "homeStoreId": 3, "lastInteractionAt": "2026-12-01T01:02:11" } ] }""")]
    public static async Task<Results<Ok<SegmentPreview>, ValidationProblem>> PreviewFilterAsync(
        SegmentFilter filter, ClaimsPrincipal user, SegmentValidation validation, SegmentStore store, SegmentQueries queries, CancellationToken ct)
    {
        if (await validation.ValidateAsync(null, filter, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(Visible(await queries.PreviewAsync(store.WithTierScale(filter), user.StoresOf(), ct), user));
    }

    [RequestExample("""{ "name": "gold near Jing'an, quiet 60 days", "filter": { "appId": "wx5f3c2a1b9d8e7f60", "tiers": ["gold"], "storeIds": [3], "lastInteractionBefore": "2026-10-06T00:00:00Z", "subscribed": true } }""")]
    [ResponseExample("""{ "id": 7 }""")]
    public static async Task<Results<Created<CreatedSegment>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        SegmentRequest request, ClaimsPrincipal user, SegmentValidation validation, SegmentStore store, CancellationToken ct)
    {
        if (await ValidateAsync(request, validation, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!WithinStoresOf(request.Filter!, user))
        {
            return NotYours();
        }

        var id = await store.CreateAsync(request.Name!.Trim(), ForStoresOf(request.Filter!, user), user.Actor(), ct);
        return TypedResults.Created($"/api/admin/segments/{id}", new CreatedSegment(id));
    }

    [RequestExample("""{ "name": "gold near Jing'an, quiet 90 days", "filter": { "appId": "wx5f3c2a1b9d8e7f60", "tiers": ["gold"], "storeIds": [3], "lastInteractionBefore": "2026-09-06T00:00:00Z", "subscribed": true } }""")]
    [ResponseExample("""{ "id": 7, "appId": "wx5f3c2a1b9d8e7f60", "name": "gold near Jing'an, quiet 90 days", "filter": { "appId": "wx5f3c2a1b9d8e7f60", "tiers": ["gold"], "storeIds": [3], "lastInteractionBefore": "2026-09-06T00:00:00+00:00", "subscribed": true }, "createdBy": "hq-ops", "createdAt": "2026-12-05T08:00:00", "updatedAt": "2026-12-05T09:30:00" }""")]
    public static async Task<Results<Ok<SegmentView>, NotFound, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        ulong id, SegmentRequest request, ClaimsPrincipal user, SegmentValidation validation, SegmentStore store, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } existing)
        {
            return TypedResults.NotFound();
        }

        if (!MayChange(existing, user))
        {
            return NotYours();
        }

        if (await ValidateAsync(request, validation, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!WithinStoresOf(request.Filter!, user))
        {
            return NotYours();
        }

        return await store.UpdateAsync(id, request.Name!.Trim(), ForStoresOf(request.Filter!, user), ct) && await store.GetViewAsync(id, ct) is { } saved
            ? TypedResults.Ok(saved)
            : TypedResults.NotFound();
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteAsync(ulong id, ClaimsPrincipal user, SegmentStore store, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } existing)
        {
            return TypedResults.NotFound();
        }

        if (!MayChange(existing, user))
        {
            return NotYours();
        }

        return await store.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    private static async Task<Dictionary<string, string[]>> ValidateAsync(SegmentRequest request, SegmentValidation validation, CancellationToken ct)
    {
        var errors = await validation.ValidateAsync(request.Name ?? "", request.Filter, ct);
        if (request.Filter is null)
        {
            errors["filter"] = ["filter is required (an empty filter {} holds every member)."];
        }

        return errors;
    }

    private static bool WithinStoresOf(SegmentFilter filter, ClaimsPrincipal user) =>
        user.StoresOf() is not { } mine || filter.StoreIds is null || filter.StoreIds.All(mine.Contains);

    /// <summary>A store manager's segment holds its stores' members only: with no storeIds, all of its stores.</summary>
    private static SegmentFilter ForStoresOf(SegmentFilter filter, ClaimsPrincipal user) =>
        user.StoresOf() is { } mine && filter.StoreIds is not { Count: > 0 } ? filter with { StoreIds = mine } : filter;

    /// <summary>Admins change any segment; store managers only segments limited to their stores.</summary>
    private static bool MayChange(Segment segment, ClaimsPrincipal user) =>
        user.StoresOf() is not { } mine || (segment.Filter.StoreIds is { Count: > 0 } stores && stores.All(mine.Contains));

    private static ProblemHttpResult NotYours() =>
        TypedResults.Problem("A store manager's segment names only its own stores.", title: "Not yours to change", statusCode: StatusCodes.Status403Forbidden);

    private static SegmentPreview Visible(SegmentPreview preview, ClaimsPrincipal user) =>
        preview with { Members = preview.Members.Select(m => m with { UnionId = user.Identifier(m.UnionId) }).ToList() };
}
