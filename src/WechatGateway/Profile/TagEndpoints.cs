using Microsoft.AspNetCore.Http.HttpResults;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Profile;

/// <summary><c>/api/admin/tags</c>: the tags segments may name (see <see cref="TagCatalogue"/>), for pick lists.</summary>
public static class TagEndpoints
{
    public static RouteGroupBuilder MapTags(this RouteGroupBuilder admin)
    {
        admin.MapGet("/tags", ListAsync).RequireAuthorization(AdminPolicies.Read).WithTags("Segments")
            .WithSummary("Every known tag: declared by auto-reply rules, points rules, live codes and manual tagging, or held by a member (WeChat tags included).");
        return admin;
    }

    [ResponseExample("""[ "coffee-lover", "expo-2026", "vip" ]""")]
    public static async Task<Ok<IReadOnlyList<string>>> ListAsync(TagCatalogue catalogue, CancellationToken ct) =>
        TypedResults.Ok(await catalogue.ListAsync(ct));
}
