using Hive.Core.Config;

namespace Hive.Files.ObjectStores;

/// <summary>Makes the store an object-store mount names, with the value of its credentials secret, and checks it answers.</summary>
public static class ObjectStoreFactory
{
    /// <summary>The store of <paramref name="mount"/>. Throws <see cref="FormatException"/> (never quoting the value) when the secret is not in a form the backend reads.</summary>
    public static IObjectStore Create(FsMount mount, string credential) => mount.Backend switch
    {
        FsBackend.S3 => new S3ObjectStore(mount.Bucket!, mount.Region, mount.Endpoint, S3Credential.Parse(credential)),
        FsBackend.Azure => new AzureObjectStore(mount.Container!, mount.Endpoint, credential),
        FsBackend.Gcs => new GcsObjectStore(mount.Bucket!, mount.Endpoint, GcsCredential.Parse(credential, mount.Endpoint)),
        _ => throw new ArgumentException($"{mount.Backend} is not an object-store backend", nameof(mount)),
    };

    /// <summary>
    /// What is wrong with the object-store mount <c>fs[index]</c>, as config errors naming the field and saying what the
    /// store answered; empty when the bucket or container exists and the credentials may list it.
    /// </summary>
    /// <param name="credential">The value of the secret <see cref="FsMount.Credentials"/> names, or null when there is no such secret.</param>
    public static IReadOnlyList<ConfigError> Check(FsMount mount, int index, string? credential, TimeSpan timeout)
    {
        var at = $"fs[{index}]";
        if (credential is null)
            return [new ConfigError(at + ".credentials",
                $"no secret named \"{mount.Credentials}\"; store the store's credentials first (hive secret set {mount.Credentials} …), then name it here")];
        IObjectStore store;
        try
        {
            store = Create(mount, credential);
        }
        catch (FormatException e)
        {
            return [new ConfigError(at + ".credentials", $"secret \"{mount.Credentials}\" cannot be used for backend {ConfigJson.Name(mount.Backend)}: {e.Message}")];
        }
        catch (NotSupportedException e)
        {
            return [new ConfigError(at + ".backend", e.Message)];
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException)
        {
            return [new ConfigError(at + ".credentials", $"secret \"{mount.Credentials}\" cannot be used for backend {ConfigJson.Name(mount.Backend)}: it is not a valid connection string or key")];
        }
        using (store)
        {
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                store.ProbeAsync(deadline.Token).GetAwaiter().GetResult();
                return [];
            }
            catch (ObjectStoreException e)
            {
                var (field, what) = e.Failure switch
                {
                    ObjectStoreFailure.NoBucket => (mount.Backend == FsBackend.Azure ? ".container" : ".bucket",
                        mount.Backend == FsBackend.Azure ? "the container does not exist" : "the bucket does not exist"),
                    ObjectStoreFailure.Denied => (".credentials", $"the store refused the credentials in secret \"{mount.Credentials}\""),
                    ObjectStoreFailure.Unreachable => (mount.Endpoint is null ? ".backend" : ".endpoint", "the store could not be reached"),
                    _ => (".backend", "the store refused the check"),
                };
                return [new ConfigError(at + field, $"{what}: {e.Message}")];
            }
            catch (OperationCanceledException)
            {
                return [new ConfigError(at + (mount.Endpoint is null ? ".backend" : ".endpoint"),
                    $"the store could not be reached: {store.Description} did not answer within {timeout.TotalSeconds:0} s")];
            }
        }
    }
}
