using System.Text.Json.Serialization;

namespace WechatSimulator.Users;

public sealed record SimUser(
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("openid")] string OpenId,
    [property: JsonPropertyName("unionid")] string? UnionId,
    [property: JsonPropertyName("nickname")] string? Nickname,
    [property: JsonPropertyName("subscribed")] bool Subscribed,
    [property: JsonPropertyName("subscribe_time")] long SubscribeTime,
    [property: JsonPropertyName("tagid_list")] IReadOnlyList<int>? TagIds = null);

/// <summary>One tag of an account, as <c>cgi-bin/tags/get</c> lists it.</summary>
public sealed record SimTag(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("count")] int Count);

/// <summary>What <see cref="UserStore.Tag"/> and <see cref="UserStore.CreateTag"/> refuse, with WeChat's errcode.</summary>
public enum TagRefusal
{
    None,
    UnknownTag,
    ReservedTag,
    TooManyTags,
    NameExists,
    TooManyTagsOnUser,
}

/// <summary>
/// Followers registered through <c>POST /_sim/users</c> and the account's tags, per account. Followers keep the order
/// they were registered in, which is the order <c>cgi-bin/user/get</c> pages through (WeChat's is by follow time).
/// One lock per account: a bulk registration of 300,000 followers holds it for a few hundred milliseconds.
/// </summary>
public sealed class UserStore
{
    /// <summary>WeChat's limits: 100 tags per account (the reserved ones not counted), 20 tags per follower.</summary>
    public const int MaxTagsPerAccount = 100;

    public const int MaxTagsPerUser = 20;

    /// <summary>Ids 0, 1 and 2 are WeChat's own (未分组, 黑名单, 星标组); only 星标组 is listed, as WeChat does.</summary>
    private const int StarTagId = 2;

    private const int FirstCustomTagId = 100;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Followers> _accounts = new(StringComparer.Ordinal);

    public void Add(SimUser user) => AddMany([user]);

    public void AddMany(IEnumerable<SimUser> users)
    {
        lock (_lock)
        {
            foreach (var user in users)
            {
                var followers = Of(user.AppId);
                if (!followers.Position.ContainsKey(user.OpenId))
                {
                    followers.Position[user.OpenId] = followers.Order.Count;
                    followers.Order.Add(user.OpenId);
                }

                followers.Users[user.OpenId] = user with { TagIds = null };
            }
        }
    }

    public SimUser? Find(string appId, string openId)
    {
        lock (_lock)
        {
            return _accounts.TryGetValue(appId, out var followers) && followers.Users.TryGetValue(openId, out var user)
                ? user with { TagIds = TagsOf(followers, openId) }
                : null;
        }
    }

    public IReadOnlyList<SimUser> All(string? appId)
    {
        lock (_lock)
        {
            return [.. _accounts.Where(a => appId is null || a.Key == appId).OrderBy(a => a.Key, StringComparer.Ordinal)
                .SelectMany(a => a.Value.Order.Select(o => a.Value.Users[o] with { TagIds = TagsOf(a.Value, o) }))];
        }
    }

    /// <summary>
    /// One page of <c>cgi-bin/user/get</c>: the subscribed followers after <paramref name="nextOpenId"/> (from the start
    /// when empty), and the number of subscribed followers; null when <paramref name="nextOpenId"/> is not a follower.
    /// </summary>
    public (IReadOnlyList<string> Page, int Total)? Page(string appId, string? nextOpenId, int size)
    {
        lock (_lock)
        {
            if (!_accounts.TryGetValue(appId, out var followers))
            {
                return string.IsNullOrEmpty(nextOpenId) ? ([], 0) : null;
            }

            var start = 0;
            if (!string.IsNullOrEmpty(nextOpenId))
            {
                if (!followers.Position.TryGetValue(nextOpenId, out var at))
                {
                    return null;
                }

                start = at + 1;
            }

            var page = new List<string>(Math.Min(size, 1024));
            for (var i = start; i < followers.Order.Count && page.Count < size; i++)
            {
                if (followers.Users[followers.Order[i]].Subscribed)
                {
                    page.Add(followers.Order[i]);
                }
            }

            return (page, followers.Users.Values.Count(u => u.Subscribed));
        }
    }

    /// <summary>The subscribed followers, all or those with <paramref name="tagId"/>: the audience of a mass send.</summary>
    public IReadOnlyList<string> Subscribed(string appId, int? tagId)
    {
        lock (_lock)
        {
            if (!_accounts.TryGetValue(appId, out var followers))
            {
                return [];
            }

            return [.. followers.Order.Where(o => followers.Users[o].Subscribed
                && (tagId is null || (followers.UserTags.TryGetValue(o, out var tags) && tags.Contains(tagId.Value))))];
        }
    }

    public IReadOnlyList<SimTag> Tags(string appId)
    {
        lock (_lock)
        {
            var followers = Of(appId);
            return [new SimTag(StarTagId, "星标组", CountOf(followers, StarTagId)),
                .. followers.Tags.OrderBy(t => t.Key).Select(t => new SimTag(t.Key, t.Value, CountOf(followers, t.Key)))];
        }
    }

    public bool TagExists(string appId, int tagId)
    {
        lock (_lock)
        {
            return tagId == StarTagId || Of(appId).Tags.ContainsKey(tagId);
        }
    }

    public (SimTag? Tag, TagRefusal Refusal) CreateTag(string appId, string name)
    {
        lock (_lock)
        {
            var followers = Of(appId);
            if (name == "星标组" || followers.Tags.ContainsValue(name))
            {
                return (null, TagRefusal.NameExists);
            }

            if (followers.Tags.Count >= MaxTagsPerAccount)
            {
                return (null, TagRefusal.TooManyTags);
            }

            var id = followers.NextTagId++;
            followers.Tags[id] = name;
            return (new SimTag(id, name, 0), TagRefusal.None);
        }
    }

    public TagRefusal DeleteTag(string appId, int tagId)
    {
        lock (_lock)
        {
            var followers = Of(appId);
            if (tagId <= StarTagId)
            {
                return TagRefusal.ReservedTag;
            }

            if (!followers.Tags.Remove(tagId))
            {
                return TagRefusal.UnknownTag;
            }

            foreach (var tags in followers.UserTags.Values)
            {
                tags.Remove(tagId);
            }

            return TagRefusal.None;
        }
    }

    /// <summary>Tags (or untags) every follower of the list, or none when one would go over WeChat's 20 tags per follower.</summary>
    public TagRefusal Tag(string appId, int tagId, IReadOnlyList<string> openIds, bool add)
    {
        lock (_lock)
        {
            var followers = Of(appId);
            if (tagId != StarTagId && !followers.Tags.ContainsKey(tagId))
            {
                return TagRefusal.UnknownTag;
            }

            if (add && openIds.Any(o => followers.UserTags.TryGetValue(o, out var tags) && !tags.Contains(tagId) && tags.Count >= MaxTagsPerUser))
            {
                return TagRefusal.TooManyTagsOnUser;
            }

            foreach (var openId in openIds)
            {
                if (add)
                {
                    if (!followers.UserTags.TryGetValue(openId, out var tags))
                    {
                        followers.UserTags[openId] = tags = [];
                    }

                    tags.Add(tagId);
                }
                else if (followers.UserTags.TryGetValue(openId, out var tags))
                {
                    tags.Remove(tagId);
                }
            }

            return TagRefusal.None;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _accounts.Clear();
        }
    }

    private Followers Of(string appId)
    {
        if (!_accounts.TryGetValue(appId, out var followers))
        {
            _accounts[appId] = followers = new Followers();
        }

        return followers;
    }

    private static int[] TagsOf(Followers followers, string openId) =>
        followers.UserTags.TryGetValue(openId, out var tags) ? [.. tags] : [];

    private static int CountOf(Followers followers, int tagId) => followers.UserTags.Values.Count(t => t.Contains(tagId));

    private sealed class Followers
    {
        public List<string> Order { get; } = [];

        public Dictionary<string, int> Position { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, SimUser> Users { get; } = new(StringComparer.Ordinal);

        public Dictionary<int, string> Tags { get; } = [];

        public Dictionary<string, SortedSet<int>> UserTags { get; } = new(StringComparer.Ordinal);

        public int NextTagId { get; set; } = FirstCustomTagId;
    }
}
