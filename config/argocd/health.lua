-- Argo CD health check for airunway.ai/ModelDeployment.
-- Install: docs/gitops.md (key resource.customizations.health.airunway.ai_ModelDeployment of argocd-cm).
-- Keep argocd-cm.yaml in sync with this file (a test compares them).
local hs = {}

local function readyCondition(status)
  if status.conditions == nil then
    return nil
  end
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" then
      return condition
    end
  end
  return nil
end

local annotations = obj.metadata and obj.metadata.annotations or {}
if annotations["airunway.ai/reconcile-paused"] == "true" then
  hs.status = "Suspended"
  hs.message = "Reconciliation is paused (annotation airunway.ai/reconcile-paused)"
  return hs
end

local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local ready = readyCondition(status)
local phase = status.phase

if phase == "Failed" then
  hs.status = "Degraded"
  if status.message ~= nil and status.message ~= "" then
    hs.message = status.message
  elseif ready ~= nil and ready.message ~= nil and ready.message ~= "" then
    hs.message = ready.message
  else
    hs.message = "ModelDeployment failed"
  end
  return hs
end

if phase == "Running" and ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = status.message or "All replicas are ready"
  return hs
end

hs.status = "Progressing"
if status.message ~= nil and status.message ~= "" then
  hs.message = status.message
elseif ready ~= nil and ready.message ~= nil and ready.message ~= "" then
  hs.message = ready.message
else
  hs.message = "Phase " .. tostring(phase or "unknown")
end
return hs
