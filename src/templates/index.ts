export { renderTemplate } from "./render-template.js";
