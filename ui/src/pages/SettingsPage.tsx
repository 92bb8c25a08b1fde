import { useEffect, useState, type FormEvent } from "react";
import { api, messageOf } from "../api";
import { ErrorBox, Loading, Notice, PageTitle } from "../components/Common";
import { useApi } from "../hooks";
import { ENGINES, type Model, type Settings } from "../types";

const EMPTY_MODEL = { id: "", name: "", minGpuMemory: "", supportedEngines: "vllm" };

export function SettingsPage() {
  const loaded = useApi<Settings>("/api/settings");
  const namespaces = useApi<{ items: string[] }>("/api/namespaces");
  const [settings, setSettings] = useState<Settings | null>(null);
  const [draft, setDraft] = useState(EMPTY_MODEL);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (loaded.data) setSettings(loaded.data);
  }, [loaded.data]);

  if (!settings) {
    return (
      <section>
        <PageTitle title="Settings" />
        <ErrorBox message={loaded.error} />
        <Loading show={loaded.loading} />
      </section>
    );
  }

  const change = (next: Settings) => {
    setSettings(next);
    setSaved(false);
  };
  const addModel = () => {
    if (!draft.id.trim()) {
      setError("custom model id is required");
      return;
    }
    const model: Model = {
      id: draft.id.trim(),
      name: draft.name.trim() || draft.id.trim(),
      minGpuMemory: draft.minGpuMemory.trim() || null,
      supportedEngines: draft.supportedEngines.split(",").map((e) => e.trim()).filter(Boolean),
    };
    change({ ...settings, customModels: [...settings.customModels, model] });
    setDraft(EMPTY_MODEL);
    setError(null);
  };
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const stored = await api.put<Settings>("/api/settings", settings);
      setSettings(stored);
      setSaved(true);
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <section>
      <PageTitle title="Settings" />
      <p className="muted">Kept in the backend's ConfigMap; the cluster stays the source of truth.</p>
      <form className="form wide" onSubmit={save} aria-label="Settings">
        <div className="field">
          <label htmlFor="defaultNamespace">Default namespace</label>
          <input
            id="defaultNamespace"
            list="namespace-names"
            value={settings.defaultNamespace}
            onChange={(e) => change({ ...settings, defaultNamespace: e.target.value })}
          />
          <datalist id="namespace-names">
            {(namespaces.data?.items ?? []).map((ns) => (
              <option key={ns} value={ns} />
            ))}
          </datalist>
          <div className="field-hint">preselected on the Deploy page</div>
        </div>
        <div className="field">
          <label htmlFor="huggingFaceEndpoint">Hugging Face endpoint</label>
          <input
            id="huggingFaceEndpoint"
            value={settings.huggingFaceEndpoint ?? ""}
            placeholder="default"
            onChange={(e) => change({ ...settings, huggingFaceEndpoint: e.target.value || null })}
          />
          <div className="field-hint">used by model search; empty = the backend's default</div>
        </div>
        <h2>Custom models</h2>
        <table className="table" aria-label="Custom models">
          <thead>
            <tr>
              <th>Id</th>
              <th>Name</th>
              <th>Min GPU memory</th>
              <th>Engines</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {settings.customModels.map((m, i) => (
              <tr key={`${m.id}-${i}`}>
                <td className="mono">{m.id}</td>
                <td>{m.name ?? ""}</td>
                <td>{m.minGpuMemory ?? "–"}</td>
                <td>{m.supportedEngines?.join(", ") ?? ""}</td>
                <td>
                  <button
                    type="button"
                    className="small"
                    onClick={() => change({ ...settings, customModels: settings.customModels.filter((_, j) => j !== i) })}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
            <tr className="add-row">
              <td>
                <input aria-label="Custom model id" placeholder="org/model" value={draft.id} onChange={(e) => setDraft({ ...draft, id: e.target.value })} />
              </td>
              <td>
                <input aria-label="Custom model name" placeholder="display name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
              </td>
              <td>
                <input aria-label="Custom model GPU memory" placeholder="16GB" value={draft.minGpuMemory} onChange={(e) => setDraft({ ...draft, minGpuMemory: e.target.value })} />
              </td>
              <td>
                <input
                  aria-label="Custom model engines"
                  placeholder={ENGINES.join(",")}
                  value={draft.supportedEngines}
                  onChange={(e) => setDraft({ ...draft, supportedEngines: e.target.value })}
                />
              </td>
              <td>
                <button type="button" className="small" onClick={addModel}>
                  Add
                </button>
              </td>
            </tr>
          </tbody>
        </table>
        <ErrorBox title="Not saved:" message={error} />
        {saved && <Notice kind="info">Settings saved.</Notice>}
        <div className="form-actions">
          <button type="submit" className="primary">
            Save settings
          </button>
        </div>
      </form>
    </section>
  );
}
