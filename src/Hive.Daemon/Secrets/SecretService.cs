using Hive.Core.Config;
using Hive.Core.Secrets;
using Hive.Daemon.Api;
using Hive.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace Hive.Daemon.Secrets;

/// <summary>
/// The vault and the bindings: secrets are sealed into the store, and every change is put into force at once by
/// recomputing the affected sandboxes' <see cref="SandboxSecrets"/> and handing them to the host (the proxy swaps its
/// table atomically, so the next request sees the change). Values are opened only here and in the proxy.
/// </summary>
public sealed class SecretService
{
    public const string KeyFingerprint = "master_key_fingerprint";
    private readonly IHiveStore _store;
    private readonly ISandboxHost _host;
    private readonly ILogger _log;
    private readonly VaultCipher _cipher;
    private readonly byte[] _standInKey;
    private readonly Lock _gate = new();
    private readonly bool _wrongKey;

    public SecretService(IHiveStore store, MasterKey key, ISandboxHost host, ILogger<SecretService> log)
    {
        _store = store;
        _host = host;
        _log = log;
        _cipher = new VaultCipher(key);
        _standInKey = key.StandInKey();
        var fingerprint = key.Fingerprint();
        switch (store.GetMeta(KeyFingerprint))
        {
            case null: store.SetMeta(KeyFingerprint, fingerprint); break;
            case var stored when stored != fingerprint:
                _wrongKey = true;
                log.LogError("the master key does not match the one this store's secrets were sealed with: no secret can be decrypted, " +
                    "and requests carrying their stand-ins are refused. Restore the original {File} or {Env}", MasterKeyFileName, "HIVE_MASTER_KEY");
                break;
        }
    }

    private const string MasterKeyFileName = "$HIVE_HOME/master.key";

    public IReadOnlyList<SecretRecord> List() => _store.ListSecrets();

    /// <summary>Stores a secret (create or replace) and puts it into force. Returns the record and whether it was created.</summary>
    public (SecretRecord Secret, bool Created) Set(string name, SecretSetRequest request)
    {
        var errors = new List<ConfigError>();
        var definition = new SecretDefinition(name, request.Provider, request.Hosts, request.Auth);
        if (!definition.TryResolve(out _, out var definitionErrors)) errors.AddRange(definitionErrors.Select(e => new ConfigError(e.Field, e.Message)));
        if (request.Sandbox is { } sb && _store.FindSandbox(sb) is null)
            errors.Add(new ConfigError("sandbox", $"no sandbox named \"{sb}\"; a sandbox-scoped secret needs its sandbox to exist (or use global)"));
        if (errors.Count > 0) throw ApiProblem.Invalid(errors, "Invalid secret");
        var scope = request.Sandbox ?? "";
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            var existing = _store.FindSecret(scope, name);
            var rotated = existing is null ? (DateTimeOffset?)null : ValueChanged(existing, request.Value) ? now : existing.RotatedAt;
            var record = new SecretRecord(scope, name, request.Global, definition.Provider is { } p ? ProviderCatalog.Find(p)!.Name : null,
                request.Provider is null ? request.Hosts : null, request.Provider is null ? request.Auth : null,
                _cipher.Seal(scope, name, request.Value), existing?.CreatedAt ?? now, rotated);
            var created = _store.UpsertSecret(record);
            if (request.Global && scope.Length == 0 && created)
                _log.LogInformation("secret {Name} stored (global: bound into sandboxes created from now on)", name);
            else
                _log.LogInformation("secret {Name} {What}{Scope}", name, created ? "stored" : "replaced", scope.Length == 0 ? "" : $" for sandbox {scope}");
            RefreshAffected(scope);
            return (_store.FindSecret(scope, name)!, created);
        }
    }

    public SecretRecord Rotate(string name, string? sandbox, string value)
    {
        lock (_gate)
        {
            var s = Resolve(name, sandbox);
            _store.RotateSecret(s.Scope, s.Name, _cipher.Seal(s.Scope, s.Name, value), DateTimeOffset.UtcNow);
            _log.LogInformation("secret {Name} rotated", name);
            RefreshAffected(s.Scope);
            return _store.FindSecret(s.Scope, s.Name)!;
        }
    }

    /// <summary>Deletes a secret; every stand-in of it is refused from the next request on.</summary>
    public SecretRecord Delete(string name, string? sandbox)
    {
        lock (_gate)
        {
            var s = Resolve(name, sandbox);
            _store.DeleteSecret(s.Scope, s.Name);
            _log.LogInformation("secret {Name} deleted: its stand-ins are revoked", name);
            RefreshAffected(s.Scope);
            return s;
        }
    }

    public IReadOnlyList<SecretActivityRecord> Activity(string name, string? sandbox, ActivityStatusFilter? status, long? before, int limit)
    {
        if (!SecretDefinition.IsValidName(name)) throw InvalidName();
        return _store.ReadActivity(name, sandbox, status, before, limit);
    }

    /// <summary>The masked value for listings, or null when it cannot be opened.</summary>
    public string? Masked(SecretRecord s)
    {
        try { return SecretRedaction.Mask(_cipher.Open(s.Scope, s.Name, s.Sealed)); }
        catch (SecretVaultException) { return null; }
    }

    /// <summary>A new sandbox binds every secret that is global now (and keeps that binding).</summary>
    public void OnCreated(SandboxRecord sandbox)
    {
        lock (_gate)
        {
            foreach (var s in _store.ListSecrets())
                if (s.Global && s.Scope.Length == 0) _store.EnsureStandIn(sandbox.Name, s.Name, NewStandIn(sandbox.Name, s), auto: true);
        }
    }

    public void OnDestroyed(string sandbox)
    {
        lock (_gate)
        {
            _store.DeleteSandboxSecrets(sandbox);
            _host.SetSecrets(sandbox, null);
        }
    }

    /// <summary>Recomputes one sandbox's bindings (after create, start or apply) and hands them to the host.</summary>
    public SandboxSecrets Refresh(SandboxRecord sandbox)
    {
        lock (_gate) return RefreshLocked(sandbox);
    }

    /// <summary>Config bindings that name no stored secret: they fail closed until the secret exists.</summary>
    public IReadOnlyList<string> Warnings(string sandbox, SandboxConfig config)
    {
        var warnings = new List<string>();
        foreach (var (variable, name) in config.Secrets)
        {
            var found = _store.FindSecrets(name).Any(s => s.Scope.Length == 0 || s.Scope == sandbox);
            if (!found)
                warnings.Add($"secrets.{variable}: no secret named \"{name}\"; requests carrying its stand-in are refused until you store it (hive secret set {name} ...)");
        }
        return warnings;
    }

    public void RefreshAll()
    {
        lock (_gate)
            foreach (var s in _store.ListSandboxes()) RefreshLocked(s);
    }

    private void RefreshAffected(string scope)
    {
        foreach (var s in _store.ListSandboxes())
            if (scope.Length == 0 || s.Name == scope) RefreshLocked(s);
    }

    private SandboxSecrets RefreshLocked(SandboxRecord sandbox)
    {
        var computed = Compute(sandbox);
        _host.SetSecrets(sandbox.Name, computed);
        return computed;
    }

    /// <summary>
    /// Which sandboxes bind each stored secret (by scope and name) and through which env vars; read only (no stand-in is
    /// made). A binding to a secret that is not stored (it fails closed) is not listed.
    /// </summary>
    public IReadOnlyDictionary<(string Scope, string Name), List<(string Sandbox, IReadOnlyList<string> EnvVars)>> Bindings()
    {
        var secrets = _store.ListSecrets();
        var result = new Dictionary<(string, string), List<(string, IReadOnlyList<string>)>>();
        foreach (var sandbox in _store.ListSandboxes())
        {
            var rows = _store.ListStandIns(sandbox.Name);
            foreach (var p in Plan(sandbox, secrets, rows))
            {
                if (Find(secrets, sandbox.Name, p.Secret) is not { } record) continue;
                var key = (record.Scope, record.Name);
                if (!result.TryGetValue(key, out var list)) result[key] = list = [];
                list.Add((sandbox.Name, p.EnvVars));
            }
        }
        return result;
    }

    private static SecretRecord? Find(IReadOnlyList<SecretRecord> secrets, string sandbox, string secret) =>
        secrets.FirstOrDefault(s => s.Scope == sandbox && s.Name == secret) ?? secrets.FirstOrDefault(s => s.Scope.Length == 0 && s.Name == secret);

    private static IReadOnlyList<PlannedBinding> Plan(SandboxRecord sandbox, IReadOnlyList<SecretRecord> secrets, IReadOnlyList<StandInRecord> rows)
    {
        var scoped = secrets.Where(s => s.Scope == sandbox.Name).Select(s => new ScopedSecret(s.Name, s.Provider));
        var global = rows.Where(r => r.Auto).Select(r => secrets.FirstOrDefault(s => s.Scope.Length == 0 && s.Name == r.Secret && s.Global))
            .OfType<SecretRecord>().Select(s => new ScopedSecret(s.Name, s.Provider));
        return BindingPlan.For(sandbox.Config, scoped, global);
    }

    private SandboxSecrets Compute(SandboxRecord sandbox)
    {
        var name = sandbox.Name;
        var secrets = _store.ListSecrets();
        var rows = _store.ListStandIns(name);
        SecretRecord? Find(string secret) => SecretService.Find(secrets, name, secret);
        var plan = Plan(sandbox, secrets, rows);

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var bindings = new List<SecretBinding>();
        var revoked = new List<RevokedStandIn>();
        var bound = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in plan)
        {
            bound.Add(p.Secret);
            var record = Find(p.Secret);
            var standIn = rows.FirstOrDefault(r => r.Secret == p.Secret)?.StandIn
                ?? _store.EnsureStandIn(name, p.Secret, record is null ? Fallback(name, p.Secret) : NewStandIn(name, record), auto: false);
            foreach (var variable in p.EnvVars) env[variable] = standIn;
            if (record is not null && TryBind(record, standIn) is { } binding) bindings.Add(binding);
            else revoked.Add(new RevokedStandIn(standIn, p.Secret));
        }
        foreach (var r in rows)
            if (!bound.Contains(r.Secret)) revoked.Add(new RevokedStandIn(r.StandIn, r.Secret));
        return new SandboxSecrets(env, new SecretSubstitution(bindings, revoked), StorageCredentials(name, sandbox.Config, secrets));
    }

    /// <summary>
    /// The values of the secrets <paramref name="config"/>'s object-store mounts name (fs[].credentials), in the sandbox's
    /// scope or global: they go to the host for its file system only (no stand-in, no env, no proxy binding). A secret
    /// that is missing or cannot be opened is left out (the host then refuses the mount, naming the field).
    /// </summary>
    public IReadOnlyDictionary<string, string> StorageCredentials(string sandbox, SandboxConfig config) =>
        StorageCredentials(sandbox, config, _store.ListSecrets());

    private Dictionary<string, string> StorageCredentials(string sandbox, SandboxConfig config, IReadOnlyList<SecretRecord> secrets)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var mount in config.Fs)
        {
            if (mount.Credentials is not { } name || values.ContainsKey(name) || Find(secrets, sandbox, name) is not { } record) continue;
            try { values[name] = _cipher.Open(record.Scope, record.Name, record.Sealed); }
            catch (SecretVaultException e) { _log.LogError("{Secret}: {Error}", record, e.Message); }
        }
        return values;
    }

    private SecretBinding? TryBind(SecretRecord record, string standIn)
    {
        if (!record.Definition.TryResolve(out var resolved, out var errors))
        {
            _log.LogWarning("{Secret} no longer validates ({Errors}); its stand-ins are refused", record, string.Join("; ", errors));
            return null;
        }
        try
        {
            return new SecretBinding(standIn, resolved, _cipher.Open(record.Scope, record.Name, record.Sealed));
        }
        catch (SecretVaultException e)
        {
            _log.LogError("{Secret}: {Error}{Hint}", record, e.Message, _wrongKey ? " (the master key is not the one it was sealed with)" : "");
            return null;
        }
        catch (ArgumentException e)
        {
            _log.LogError("{Secret} cannot be bound: {Error}", record, e.Message);
            return null;
        }
    }

    private string NewStandIn(string sandbox, SecretRecord record)
    {
        string value;
        try { value = _cipher.Open(record.Scope, record.Name, record.Sealed); }
        catch (SecretVaultException) { return Fallback(sandbox, record.Name); }
        return StandIn.Create(value, sandbox, record.Name, _standInKey);
    }

    // A secret that cannot be read still gets a stand-in (in the fallback form), refused until it can.
    private string Fallback(string sandbox, string secret) => StandIn.Create("x", sandbox, secret, _standInKey);

    private bool ValueChanged(SecretRecord existing, string value)
    {
        try { return _cipher.Open(existing.Scope, existing.Name, existing.Sealed) != value; }
        catch (SecretVaultException) { return true; }
    }

    /// <summary>The secret <paramref name="name"/> names: in <paramref name="sandbox"/>'s scope when given; else the unscoped one, or the only sandbox-scoped one.</summary>
    private SecretRecord Resolve(string name, string? sandbox)
    {
        if (!SecretDefinition.IsValidName(name)) throw InvalidName();
        var all = _store.FindSecrets(name);
        if (sandbox is not null)
            return all.FirstOrDefault(s => s.Scope == sandbox) ?? throw ApiProblem.NotFound($"no secret \"{name}\" is scoped to sandbox \"{sandbox}\"");
        if (all.FirstOrDefault(s => s.Scope.Length == 0) is { } unscoped) return unscoped;
        return all.Count switch
        {
            0 => throw ApiProblem.NotFound($"no secret named \"{name}\" (list them with `hive secret ls`)"),
            1 => all[0],
            _ => throw ApiProblem.BadRequest($"secret \"{name}\" exists in sandboxes {string.Join(", ", all.Select(s => s.Scope))}: say which with ?sandbox=NAME (hive secret … SANDBOX {name})"),
        };
    }

    private static ApiProblem InvalidName() =>
        ApiProblem.Invalid([new ConfigError("name", $"must be 1-{SecretDefinition.MaxNameLength} characters of letters, digits, _, . and -, starting with a letter or digit")], "Invalid secret");
}
